#include "io/temp_files.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "common/errors.h"

namespace lbb {
namespace {

namespace fs = std::filesystem;

// Slot i holds nullptr or a string of ours: 'f' (file to unlink) or 'd' (directory to rmdir)
// and the path. The handler reads slots [0, g_end) and takes no lock; everything else holds
// g_mutex. Strings live until exit (g_owned), so a handler on another thread never reads freed
// memory; a freed slot is reused.
std::atomic<const char*> g_slots[kMaxRegistered];
std::atomic<size_t> g_end{0};
std::mutex g_mutex;
std::vector<size_t>* g_free = nullptr;                  // under g_mutex
std::vector<std::unique_ptr<char[]>>* g_owned = nullptr;  // under g_mutex
const int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

static_assert(std::atomic<const char*>::is_always_lock_free && std::atomic<size_t>::is_always_lock_free,
              "the signal handler needs lock-free atomics");

// Async-signal-safe: unlink, rmdir, sigaction, raise and lock-free atomics only.
void on_signal(int sig) {
  const size_t end = g_end.load();
  for (size_t i = 0; i < end; ++i) {
    const char* p = g_slots[i].load();
    if (p != nullptr && p[0] == 'f') ::unlink(p + 1);
  }
  // Directories until none more can go (a parent empties once its children are gone).
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t i = end; i-- > 0;) {
      const char* p = g_slots[i].load();
      if (p != nullptr && p[0] == 'd' && ::rmdir(p + 1) == 0) {
        g_slots[i].store(nullptr);
        progress = true;
      }
    }
  }
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  ::sigaction(sig, &dfl, nullptr);
  ::raise(sig);  // pending until this handler returns (the signal is blocked in it), then fatal
}

// Installs on_signal for every signal whose action is the default (an ignored SIGHUP, as under
// nohup, stays ignored; a handler of the program's own stays).
void install_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : kSignals) sigaddset(&sa.sa_mask, s);
  for (int s : kSignals) {
    struct sigaction old;
    if (::sigaction(s, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) ::sigaction(s, &sa, nullptr);
  }
}

size_t register_path(char kind, const std::string& path) {
  static std::once_flag installed;
  std::call_once(installed, install_handlers);
  auto text = std::make_unique<char[]>(path.size() + 2);
  text[0] = kind;
  std::memcpy(text.get() + 1, path.c_str(), path.size() + 1);
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_owned == nullptr) g_owned = new std::vector<std::unique_ptr<char[]>>, g_free = new std::vector<size_t>;
  size_t slot;
  if (!g_free->empty()) {
    slot = g_free->back();
    g_free->pop_back();
  } else {
    slot = g_end.load();
    if (slot == kMaxRegistered)
      throw IoError(printable(path) + ": more than " + std::to_string(kMaxRegistered) + " files to write at once");
  }
  g_slots[slot].store(text.get());
  if (slot == g_end.load()) g_end.store(slot + 1);  // after the store: the handler sees the string
  g_owned->push_back(std::move(text));
  return slot;
}

}  // namespace

std::string temporary_name(const std::string& file_name) {
  static std::atomic<uint64_t> counter{0};
  return "." + file_name.substr(0, 200) + ".tmp-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1));
}

void remove_stale_temporaries(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t mark = name.rfind(".tmp-");
    if (name.size() < 2 || name[0] != '.' || mark == std::string::npos || mark < 2) continue;
    const std::string rest = name.substr(mark + 5);  // "PID-K"
    const size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || dash + 1 == rest.size() ||
        rest.find_first_not_of("0123456789-") != std::string::npos || rest.find('-', dash + 1) != std::string::npos)
      continue;
    const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    if (it->is_regular_file(rm) && !it->is_symlink(rm)) fs::remove(it->path(), rm);
  }
}

size_t register_cleanup_file(const std::string& path) { return register_path('f', path); }
size_t register_cleanup_directory(const std::string& path) { return register_path('d', path); }

void unregister_cleanup(size_t slot) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_slots[slot].exchange(nullptr) != nullptr) g_free->push_back(slot);
}

}  // namespace lbb
