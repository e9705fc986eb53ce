// The CLI's subcommands. Each takes argv starting at its own name and returns the exit code.
#pragma once

namespace npskit::cli {
int run_score(int argc, char** argv);
int run_validate(int argc, char** argv);
int run_themes(int argc, char** argv);
int run_digest(int argc, char** argv);
}  // namespace npskit::cli
