#include "options.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "common/errors.h"

namespace lbb {

namespace {

std::string number(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream s;
  s << v;
  return s.str();
}

CLI::Validator range_validator(double lo, double hi, bool integer, std::string description) {
  return CLI::Validator(
      [lo, hi, integer](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        const bool parsed = !text.empty() && end == text.c_str() + text.size();
        if (parsed && v >= lo && v <= hi && (!integer || v == std::floor(v))) return "";
        return text + " is not " + (integer ? "an integer " : "") + "in [" + number(lo) + ", " + number(hi) + "]";
      },
      std::move(description));
}

}  // namespace

CLI::Validator in_range(double lo, double hi) {
  return range_validator(lo, hi, false, "in [" + number(lo) + ", " + number(hi) + "]");
}

CLI::Validator integer_in_range(double lo, double hi) {
  return range_validator(lo, hi, true, "in [" + number(lo) + ", " + number(hi) + "]");
}

int max_threads() {
  const unsigned hw = std::thread::hardware_concurrency();  // 0 if unknown
  return 4 * static_cast<int>(hw > 0 ? hw : 1);
}

CLI::Validator thread_count() {
  return range_validator(0, max_threads(), true, "0 = all cores, or 1.." + std::to_string(max_threads()));
}

int exit_on_parse_error(CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == 0) return app.exit(e);
  std::fprintf(stderr, "lbb: error: %s\n", printable(e.what(), 2000).c_str());
  return 2;
}

}  // namespace lbb
