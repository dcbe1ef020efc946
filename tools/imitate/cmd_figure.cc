// imitate figure --dir DIR: the table and the plot of Figure 2.1 (and of Figure 2.2: GAIL runs
// with a causal entropy weight are a curve of their own, "gail λ=W") from a grid's results.
//   normalized score = (return - random) / (expert - random)   (Figure 2.1's y-axis: the
//   expert 1, a uniformly random policy 0; both returns from DIR/reference.jsonl, measured
//   with our environments by `imitate grid`).
// Writes <prefix>.md (returns and scores, mean +- standard deviation over seeds),
// <prefix>.csv, <prefix>.gp (a gnuplot script with the data inline) and, with gnuplot,
// <prefix>.png: one panel per task, x = trajectories (the task's own sizes), y = normalized score, one line per
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
    std::vector<std::string> dirs;
    std::string prefix;
    bool no_plot = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("figure", "Table (Markdown, CSV) and plot (PNG) of Figure 2.1 from a grid's results");
  cmd->add_option("--dir,-d", args->dirs,
                  "Experiment directory of imitate grid; repeat to merge the directories of a sharded grid")
      ->required();
  cmd->add_option("--out,-o", args->prefix, "Output prefix (default: the first DIR/figure)");
  cmd->add_flag("--no-plot", args->no_plot, "Write the gnuplot script but do not run gnuplot");
  cmd->callback([args] {
    const fs::path dir(args->dirs.front());
    const std::string prefix = args->prefix.empty() ? (dir / "figure").string() : args->prefix;
    std::map<std::string, std::pair<double, double>> ref;  // task -> (expert, random)
    std::vector<std::map<std::string, std::string>> rows;
    for (const std::string& d : args->dirs) {
      for (const auto& row : read_rows((fs::path(d) / "reference.jsonl").string())) {
        const std::pair<double, double> r{num(row, "expert_return"), num(row, "random_return")};
        const auto [it, fresh] = ref.emplace(row.at("task"), r);
        if (!fresh && it->second != r)  // shards made their experts from the same seeds
          throw InputError(d + "/reference.jsonl: other reference returns for " + row.at("task") + " than " +
                           args->dirs.front());
      }
      for (auto& row : read_rows((fs::path(d) / "results.jsonl").string())) rows.push_back(std::move(row));
    }
    // (task, algo, trajectories) -> returns over seeds; a run counted once.
    std::map<std::tuple<std::string, std::string, int64_t>, Cell> cells;
    std::set<std::string> seen;
    for (const auto& row : rows) {
      if (!row.count("run") || !seen.insert(row.at("run")).second) continue;
      std::string algo = row.at("algo");
      if (row.count("entropy") && num(row, "entropy") != 0) algo += " λ=" + row.at("entropy");
      cells[{row.at("task"), algo, static_cast<int64_t>(num(row, "trajectories"))}].returns.push_back(
          num(row, "eval_return"));
    }
    if (cells.empty()) throw InputError((dir / "results.jsonl").string() + ": no finished runs");
    const std::vector<std::string> task_order{"cartpole", "acrobot",  "mountaincar", "reacher", "halfcheetah",
                                              "hopper",   "walker2d", "ant",         "humanoid"};
    const std::vector<std::string> algo_order{"bc", "fem", "gtal", "gail"};
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
    // The dataset sizes with a result for a task.
    const auto task_sizes = [&](const std::string& t) {
      std::vector<int64_t> ks;
      for (int64_t k : sizes)
        for (const std::string& al : algos)
          if (cells.count({t, al, k})) {
            ks.push_back(k);
            break;
          }
      return ks;
    };

    // Markdown.
    std::ostringstream md;
    md << "# Figure 2.1: learned policies, deterministic evaluation\n\n";
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
      gp << "# imitate figure: Figure 2.1 of the thesis, from " << (dir / "results.jsonl").string() << "\n";
      gp << "set terminal pngcairo size " << 420 * tasks.size() + 80 << ",400 font 'sans,10'\n";
      gp << "set output '" << prefix << ".png'\n";
      // Data blocks $d<task index>_<algorithm index>.
      for (size_t ti = 0; ti < tasks.size(); ++ti)
        for (size_t ai = 0; ai < algos.size(); ++ai) {
          const std::string& t = tasks[ti];
          const std::string& al = algos[ai];
          gp << "$d" << ti << "_" << ai << " << EOD\n";
          for (int64_t k : sizes) {
            const auto it = cells.find({t, al, k});
            if (it == cells.end() || !std::isfinite(it->second.score.mean)) continue;
            const double dx = 0.012 * task_sizes(t).back() * (rank_of(algos, al) - 0.5 * (static_cast<double>(algos.size()) - 1));
            gp << k + dx << " " << it->second.score.mean << " " << it->second.score.std << "\n";
          }
          gp << "EOD\n";
        }
      gp << "set multiplot layout 1," << tasks.size() << " title 'Performance of learned policies (expert = 1, random = 0)'\n";
      gp << "set xlabel 'Number of trajectories in dataset'\nset ylabel 'Normalized score'\n";
      gp << "set yrange [-0.2:1.2]\nset key bottom right\nset grid\n";
      const std::map<std::string, std::string> color{{"bc", "#1f77b4"}, {"fem", "#2ca02c"}, {"gtal", "#9467bd"}, {"gail", "#d62728"}};
      const std::map<std::string, std::string> label{{"bc", "Behavioral cloning"}, {"fem", "FEM"}, {"gtal", "GTAL"}, {"gail", "GAIL"}};
      const std::vector<std::string> extra_colors{"#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
      for (size_t ti = 0; ti < tasks.size(); ++ti) {
        const std::vector<int64_t> ks = task_sizes(tasks[ti]);
        gp << "set title '" << tasks[ti] << "'\nset xrange [0:" << ks.back() + ks.front() << "]\nset xtics (";
        for (size_t i = 0; i < ks.size(); ++i) gp << (i ? ", " : "") << ks[i];
        gp << ")\nplot ";
        bool first = true;
        size_t extra = 0;
        for (size_t ai = 0; ai < algos.size(); ++ai) {
          const std::string& al = algos[ai];
          const std::string c = color.count(al) ? color.at(al) : extra_colors[extra++ % extra_colors.size()];
          const std::string name = label.count(al) ? label.at(al) : "GAIL" + al.substr(4);
          gp << (first ? "" : ", ") << "$d" << ti << "_" << ai << " using 1:2:3 with yerrorlines lw 2 pt 7 lc rgb '" << c
             << "' title '" << name << "'";
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
