// The golden decompression errors (as zstd keeps its own): every damaged or crafted file of
// tests/data/damaged (made by its make_corpus.py) gets, from `lbb decompress`, exactly the
// one-line error of expected_errors.txt and a non-zero exit status, within a second of CPU time
// and 100 MB of memory, and writes nothing.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifndef LBB_BINARY
#error "LBB_BINARY must name the lbb executable"
#endif
#ifndef LBB_SOURCE_DIR
#error "LBB_SOURCE_DIR must name the source tree"
#endif

namespace {

namespace fs = std::filesystem;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;  // shadow memory and slower code: resource bounds do not apply
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

struct Outcome {
  int status = -1;
  std::string err;
  double cpu_seconds = 0;
  long max_rss_kb = 0;
};

// Runs `lbb decompress FILE --model ../fuzz_model.lbbm -o OUT` in the corpus directory.
Outcome decompress(const fs::path& corpus, const std::string& file, const fs::path& out, const fs::path& err_path) {
  Outcome r;
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(corpus.c_str()) != 0) _exit(126);
    if (!freopen(err_path.c_str(), "w", stderr)) _exit(126);
    execl(LBB_BINARY, LBB_BINARY, "decompress", file.c_str(), "--model", "../fuzz_model.lbbm", "-o", out.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int raw = 0;
  rusage usage{};
  if (pid < 0 || wait4(pid, &raw, 0, &usage) != pid) return r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.cpu_seconds = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  r.max_rss_kb = usage.ru_maxrss;
  std::ifstream f(err_path);
  std::stringstream ss;
  ss << f.rdbuf();
  r.err = ss.str();
  return r;
}

TEST(DecodeErrors, EveryDamagedFileGetsItsGoldenError) {
  const fs::path corpus = fs::path(LBB_SOURCE_DIR) / "tests" / "data" / "damaged";
  std::ifstream list(corpus / "expected_errors.txt");
  ASSERT_TRUE(list) << "missing " << (corpus / "expected_errors.txt");
  const fs::path dir = fs::temp_directory_path() / ("lbb_decode_errors_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::vector<std::string> seen;
  std::string expected;
  double max_cpu = 0;
  long max_rss = 0;
  while (std::getline(list, expected)) {
    const std::string file = expected.substr(0, expected.find(": "));
    ASSERT_TRUE(fs::exists(corpus / file)) << file;
    seen.push_back(file);
    const Outcome r = decompress(corpus, file, dir / "out", dir / "stderr");
    EXPECT_NE(r.status, 0) << file;
    EXPECT_LT(r.status, 128) << file << " ended by a signal";
    EXPECT_EQ(r.err, "lbb: error: " + expected + "\n") << file;
    EXPECT_FALSE(fs::exists(dir / "out")) << file << " left output behind";
    max_cpu = std::max(max_cpu, r.cpu_seconds);
    max_rss = std::max(max_rss, r.max_rss_kb);
    if (!kSanitized) {
      EXPECT_LT(r.cpu_seconds, 1.0) << file;
      EXPECT_LT(r.max_rss_kb, 100 * 1024) << file;
    }
    fs::remove_all(dir / "out");
  }
  std::printf("%zu damaged files: at most %.3f s of CPU and %.1f MB of memory each\n", seen.size(), max_cpu,
              max_rss / 1024.0);
  // Every file of the corpus is listed (a new damaged file needs its expected error).
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) files += entry.path().extension() == ".lbb";
  EXPECT_EQ(files, seen.size());
  EXPECT_GE(seen.size(), 40u);
  fs::remove_all(dir);
}

}  // namespace
