// imitate figure --dir DIR: the table and the plot of Figure 2.1 from a grid's results.
//   normalized score = (return - random) / (expert - random)   (Figure 2.1's y-axis: the
//   expert 1, a uniformly random policy 0; both returns from DIR/reference.jsonl, measured
//   with our environments by `imitate grid`).
// Writes <prefix>.md (returns and scores, mean +- standard deviation over seeds),
// <prefix>.csv, <prefix>.gp (a gnuplot script with the data inline) and, with gnuplot,
// <prefix>.png: one panel per task, x = trajectories, y = normalized score, one line per
// algorithm with error bars of one standard deviation over seeds. Prints the Markdown.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "commands.h"
#include "grid_util.h"
#include "common/errors.h"

namespace lbb::imitation {
namespace {

namespace fs = std::filesystem;

std::vector<std::map<std::string, std::string>> read_rows(const std::string& path) {
  std::vector<std::map<std::string, std::string>> rows;
  std::ifstream in(path);
  if (!in) throw InputError(path + ": no such file");
  std::string line;
  std::map<std::string, std::string> row;
  while (std::getline(in, line))
    if (parse_flat_json(line, row)) rows.push_back(row);
  return rows;
}

double num(const std::map<std::string, std::string>& row, const std::string& key) {
  const auto it = row.find(key);
  if (it == row.end() || it->second == "null") return NAN;
  return std::strtod(it->second.c_str(), nullptr);
}

std::string fmt(double x, int decimals) {
  if (!std::isfinite(x)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

int rank_of(const std::vector<std::string>& order, const std::string& x) {
  const auto it = std::find(order.begin(), order.end(), x);
  return it == order.end() ? static_cast<int>(order.size()) : static_cast<int>(it - order.begin());
}

struct Cell {
  std::vector<double> returns;
  MeanStd ret, score;
};

}  // namespace

void add_figure_command(CLI::App& app) {
  struct Args {
    std::string dir, prefix;
    bool no_plot = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("figure", "Table (Markdown, CSV) and plot (PNG) of Figure 2.1 from a grid's results");
  cmd->add_option("--dir,-d", args->dir, "Experiment directory of imitate grid")->required();
  cmd->add_option("--out,-o", args->prefix, "Output prefix (default: DIR/figure)");
  cmd->add_flag("--no-plot", args->no_plot, "Write the gnuplot script but do not run gnuplot");
  cmd->callback([args] {
    const fs::path dir(args->dir);
    const std::string prefix = args->prefix.empty() ? (dir / "figure").string() : args->prefix;
    std::map<std::string, std::pair<double, double>> ref;  // task -> (expert, random)
    for (const auto& row : read_rows((dir / "reference.jsonl").string()))
      ref[row.at("task")] = {num(row, "expert_return"), num(row, "random_return")};
    // (task, algo, trajectories) -> returns over seeds; a run counted once.
    std::map<std::tuple<std::string, std::string, int64_t>, Cell> cells;
    std::set<std::string> seen;
    for (const auto& row : read_rows((dir / "results.jsonl").string())) {
      if (!row.count("run") || !seen.insert(row.at("run")).second) continue;
      cells[{row.at("task"), row.at("algo"), static_cast<int64_t>(num(row, "trajectories"))}].returns.push_back(
          num(row, "eval_return"));
    }
    if (cells.empty()) throw InputError((dir / "results.jsonl").string() + ": no finished runs");
    const std::vector<std::string> task_order{"cartpole", "acrobot", "mountaincar"}, algo_order{"bc", "fem", "gtal", "gail"};
    std::vector<std::string> tasks, algos;
    std::vector<int64_t> sizes;
    for (auto& [key, c] : cells) {
      const auto& [t, al, k] = key;
      if (std::find(tasks.begin(), tasks.end(), t) == tasks.end()) tasks.push_back(t);
      if (std::find(algos.begin(), algos.end(), al) == algos.end()) algos.push_back(al);
      if (std::find(sizes.begin(), sizes.end(), k) == sizes.end()) sizes.push_back(k);
      if (!ref.count(t)) throw InputError((dir / "reference.jsonl").string() + ": no reference returns for " + t);
      const auto [expert, random] = ref[t];
      c.ret = mean_std(c.returns);
      std::vector<double> scores;
      for (double r : c.returns) scores.push_back((r - random) / (expert - random));
      c.score = mean_std(scores);
    }
    std::sort(tasks.begin(), tasks.end(), [&](auto& x, auto& y) { return std::make_pair(rank_of(task_order, x), x) < std::make_pair(rank_of(task_order, y), y); });
    std::sort(algos.begin(), algos.end(), [&](auto& x, auto& y) { return std::make_pair(rank_of(algo_order, x), x) < std::make_pair(rank_of(algo_order, y), y); });
    std::sort(sizes.begin(), sizes.end());

    // Markdown.
    std::ostringstream md;
    md << "# Figure 2.1 (classic control): learned policies, " << "deterministic evaluation\n\n";
    md << "Reference returns (our environments; the expert over 50 stochastic episodes, a uniformly random policy over 50):\n\n";
    md << "| task | expert | random |\n| --- | --- | --- |\n";
    for (const std::string& t : tasks) md << "| " << t << " | " << fmt(ref[t].first, 2) << " | " << fmt(ref[t].second, 2) << " |\n";
    for (int table = 0; table < 2; ++table) {
      md << "\n" << (table == 0 ? "Returns" : "Normalized scores (expert 1, random 0)")
         << ", mean ± standard deviation over seeds (seeds in brackets), by number of trajectories:\n\n";
      md << "| task | algorithm |";
      for (int64_t k : sizes) md << " " << k << " |";
      md << "\n| --- | --- |";
      for (size_t i = 0; i < sizes.size(); ++i) md << " --- |";
      md << "\n";
      for (const std::string& t : tasks)
        for (const std::string& al : algos) {
          md << "| " << t << " | " << al << " |";
          for (int64_t k : sizes) {
            const auto it = cells.find({t, al, k});
            if (it == cells.end()) {
              md << " |";
              continue;
            }
            const MeanStd& m = table == 0 ? it->second.ret : it->second.score;
            md << " " << fmt(m.mean, table == 0 ? 1 : 3) << " ± " << fmt(m.std, table == 0 ? 1 : 3) << " ("
               << it->second.returns.size() << ") |";
          }
          md << "\n";
        }
    }
    std::ofstream(prefix + ".md") << md.str();
    std::printf("%s", md.str().c_str());

    // CSV.
    {
      std::ofstream csv(prefix + ".csv");
      csv << "task,algo,trajectories,seeds,return_mean,return_std,score_mean,score_std,expert_return,random_return\n";
      for (const std::string& t : tasks)
        for (const std::string& al : algos)
          for (int64_t k : sizes) {
            const auto it = cells.find({t, al, k});
            if (it == cells.end()) continue;
            const Cell& c = it->second;
            csv << t << "," << al << "," << k << "," << c.returns.size() << "," << json_number(c.ret.mean) << ","
                << json_number(c.ret.std) << "," << json_number(c.score.mean) << "," << json_number(c.score.std) << ","
                << json_number(ref[t].first) << "," << json_number(ref[t].second) << "\n";
          }
    }

    // gnuplot: one panel per task; the algorithms' points spread a little along x.
    {
      std::ofstream gp(prefix + ".gp");
      gp << "# imitate figure: Figure 2.1 of the thesis (classic control), from " << (dir / "results.jsonl").string() << "\n";
      gp << "set terminal pngcairo size " << 420 * tasks.size() + 80 << ",400 font 'sans,10'\n";
      gp << "set output '" << prefix << ".png'\n";
      for (const std::string& t : tasks)
        for (const std::string& al : algos) {
          gp << "$" << t << "_" << al << " << EOD\n";
          for (int64_t k : sizes) {
            const auto it = cells.find({t, al, k});
            if (it == cells.end() || !std::isfinite(it->second.score.mean)) continue;
            const double dx = 0.12 * (rank_of(algos, al) - 0.5 * (static_cast<double>(algos.size()) - 1));
            gp << k + dx << " " << it->second.score.mean << " " << it->second.score.std << "\n";
          }
          gp << "EOD\n";
        }
      gp << "set multiplot layout 1," << tasks.size() << " title 'Performance of learned policies (expert = 1, random = 0)'\n";
      gp << "set xlabel 'Number of trajectories in dataset'\nset ylabel 'Normalized score'\n";
      gp << "set xrange [0:" << sizes.back() + 1 << "]\nset yrange [-0.2:1.2]\nset xtics (";
      for (size_t i = 0; i < sizes.size(); ++i) gp << (i ? ", " : "") << sizes[i];
      gp << ")\nset key bottom right\nset grid\n";
      const std::map<std::string, std::string> color{{"bc", "#1f77b4"}, {"fem", "#2ca02c"}, {"gtal", "#9467bd"}, {"gail", "#d62728"}};
      const std::map<std::string, std::string> label{{"bc", "Behavioral cloning"}, {"fem", "FEM"}, {"gtal", "GTAL"}, {"gail", "GAIL"}};
      for (const std::string& t : tasks) {
        gp << "set title '" << t << "'\nplot ";
        bool first = true;
        for (const std::string& al : algos) {
          gp << (first ? "" : ", ") << "$" << t << "_" << al << " using 1:2:3 with yerrorlines lw 2 pt 7 lc rgb '"
             << (color.count(al) ? color.at(al) : "black") << "' title '" << (label.count(al) ? label.at(al) : al) << "'";
          first = false;
        }
        gp << "\n";
      }
      gp << "unset multiplot\n";
    }
    std::fprintf(stderr, "wrote %s.md, %s.csv, %s.gp\n", prefix.c_str(), prefix.c_str(), prefix.c_str());
    if (!args->no_plot) {
      const ChildResult r = run_child("gnuplot " + shell_quote(prefix + ".gp") + " 2>&1");
      if (r.status != 0)
        throw IoError("gnuplot failed (status " + std::to_string(r.status) + "): " + r.out +
                      " (install it with apt-get install -y gnuplot-nox, or use --no-plot)");
      std::fprintf(stderr, "wrote %s.png\n", prefix.c_str());
    }
  });
}

}  // namespace lbb::imitation
