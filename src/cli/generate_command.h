// `npskit generate`: the deterministic demo data set (core synthetic) as NDJSON on stdout.
#pragma once

// argv[0] is "generate"; returns the process exit code.
int run_generate_command(int argc, char** argv);
