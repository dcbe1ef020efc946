// lbb: learned lossless image compression with flow models and local bits-back coding.
// This executable does not link LibTorch (it starts fast); train, eval and sample are run by
// lbb-train, the LibTorch executable beside it, with the same arguments.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <filesystem>
#include <string>
#include <vector>

#include "common/errors.h"
#include "lbb_commands.h"
#include "options.h"

namespace {

const char* const kTrainCommands[] = {"train", "eval", "sample"};

// Replaces this process by lbb-train with the same arguments; returns only if it cannot.
int run_lbb_train(char** argv) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path train = (ec ? fs::path(".") : exe.parent_path()) / "lbb-train";
  if (!fs::exists(train, ec)) {
    std::fprintf(stderr,
                 "lbb: error: 'lbb %s' needs lbb-train, the LibTorch build of lbb, which is not beside this lbb "
                 "(%s); build with -DLBB_WITH_TORCH=ON\n",
                 argv[1], train.string().c_str());
    return 2;
  }
  const std::string path = train.string();
  argv[0] = const_cast<char*>(path.c_str());
  ::execv(path.c_str(), argv);
  std::fprintf(stderr, "lbb: error: cannot run %s: %s\n", path.c_str(), std::strerror(errno));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1)
    for (const char* command : kTrainCommands)
      if (std::strcmp(argv[1], command) == 0) return run_lbb_train(argv);
  CLI::App app{"lbb - lossless image compression with flow models (local bits-back coding)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lbb 0.2");
  app.footer("Also: lbb train | eval | sample (run by lbb-train, the LibTorch build; see lbb-train --help)");
  lbb::add_compress_command(app);
  lbb::add_decompress_command(app);
  lbb::add_fit_direct_command(app);
  lbb::add_retile_command(app);
  lbb::add_bench_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return lbb::exit_on_parse_error(app, e);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "lbb: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lbb: error: %s\n", lbb::printable(e.what(), 2000).c_str());
    return 1;
  }
  return 0;
}
