// npskit: command-line entry. Subcommands live in their own files.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli_commands.h"
#include "generate_command.h"

static void print_usage(FILE* out) {
    std::fputs(
        "usage: npskit <command> [options]\n"
        "\n"
        "commands:\n"
        "  score FILE...     score responses (JSON array, NDJSON or CSV; '-' reads stdin)\n"
        "  validate FILE...  check every record against response schema v1, strictly\n"
        "  generate          write a deterministic synthetic data set as NDJSON\n"
        "  themes FILE...    distinctive themes of the comments per segment, with their effect on NPS\n"
        "  digest FILE...    a day or week against the one before: NPS, change, response rate, themes\n"
        "\n"
        "Run 'npskit <command> --help' for its options.\n",
        out);
}

int main(int argc, char** argv) {
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    std::string command = argv[1];
    if (command == "score") return npskit::cli::run_score(argc - 1, argv + 1);
    if (command == "validate") return npskit::cli::run_validate(argc - 1, argv + 1);
    if (command == "themes") return npskit::cli::run_themes(argc - 1, argv + 1);
    if (command == "digest") return npskit::cli::run_digest(argc - 1, argv + 1);
    if (command == "generate") return run_generate_command(argc - 1, argv + 1);
    if (command == "--help" || command == "-h" || command == "help") {
        print_usage(stdout);
        return 0;
    }
    std::fprintf(stderr, "npskit: unknown command '%s'\n\n", command.c_str());
    print_usage(stderr);
    return 2;
}
