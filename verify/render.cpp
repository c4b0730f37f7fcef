#include "verify/render.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "impl/world.h"
#include "linux/errno.h"
#include "properties/object_graph.h"
#include "verify/xml.h"

namespace luv {

namespace {

// ---- object graph -------------------------------------------------------------

// Captures the graph and LUO's files after one step.
// The object graph after a step, and what the callers believe there: the
// Runner's memory (properties/callers_memory.h), not a copy of it.
class graph_capture : public RunObserver {
 public:
  explicit graph_capture(int step) : want_(step) {}
  void on_step(const impl::World& w, int) override {
    if (want_ < 0 || step_ == want_) {
      graph = build_object_graph(w);
      believe(w);
      captured = step_;
    }
    ++step_;
  }
  // A call returning at the captured step is taken in after on_step.
  std::optional<std::string> on_call_end(const impl::World& w, const CallRecord& r) override {
    if (r.last_step == captured) believe(w);
    return std::nullopt;
  }
  ObjectGraph graph;
  std::set<int> devices, domains;
  bool everything_unpreserved = false;
  int captured = -1;

 private:
  void believe(const impl::World& w) {
    devices = callers().devices_outstanding();
    domains = callers().domains_outstanding();
    everything_unpreserved = callers().everything_unpreserved(w);
  }
  int want_;
  int step_ = 0;
};

std::string dot_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"') out += '\\';  // labels keep their \\n line breaks
    out += c;
  }
  return out;
}

// What the callers believe is preserved after a step: the Runner's intent.
struct callers_view {
  std::set<int> devices, domains, iommus;
  std::string last_call;  // "T0 vfio_preserve(dev0, domain0) returned"
  bool everything_unpreserved = false;

  bool holds(const GraphVertex& k) const {
    if (k.kind == VertexKind::iommu) return iommus.count(k.id) > 0;
    if (k.kind == VertexKind::domain) return domains.count(k.id) > 0;
    if (k.kind == VertexKind::device) return devices.count(k.id) > 0;
    return true;
  }
};

callers_view callers_after(const Scenario& s, const RunResult& r, const graph_capture& cap) {
  callers_view view;
  for (const CallRecord& c : r.calls)
    if (c.last_step <= cap.captured)
      view.last_call = "T" + std::to_string(c.thread) + " " + describe_call(c.call) + " returned";
  view.devices = cap.devices;
  view.domains = cap.domains;
  for (int d : view.devices) view.iommus.insert(s.topology.devices[d].iommu);
  view.everything_unpreserved = cap.everything_unpreserved;
  return view;
}

bool is_live(const GraphVertex& x) {
  return (x.kind == VertexKind::record && is_live_record(x)) || (x.kind == VertexKind::page && !x.freed);
}

// Leaked: live, and no kernel object the callers still hold owns it.
bool is_leaked(const ObjectGraph& g, ObjectGraph::vertex_descriptor v, const callers_view& view) {
  const GraphVertex& x = g[v];
  if (view.everything_unpreserved && (is_live(x) || (x.kind == VertexKind::flb && !x.freed))) return true;
  if (!is_live(x) || (x.kind != VertexKind::record && x.page_kind != impl::kho_page_kind::driver_private)) return false;
  int owners = 0, owners_held = 0;
  for (auto [e, eend] = boost::in_edges(v, g); e != eend; ++e) {
    EdgeKind k = g[*e].kind;
    if (k != EdgeKind::preserved && k != EdgeKind::driver_page) continue;
    ++owners;
    owners_held += view.holds(g[boost::source(*e, g)]);
  }
  // A device record is owned through its device; a record only pointed at is
  // leaked only when nothing holds it at all.
  if (x.kind == VertexKind::record && owners == 0 && x.record_kind != RecordKind::device) return true;
  return owners == 0 || owners_held == 0;
}

void write_vertex(std::ostream& out, const ObjectGraph& g, ObjectGraph::vertex_descriptor v, const callers_view& view) {
  const GraphVertex& x = g[v];
  bool used = boost::in_degree(v, g) + boost::out_degree(v, g) > 0;
  if (x.kind == VertexKind::nowhere && !used) return;
  if (x.kind == VertexKind::page && x.freed && !used) return;
  std::string shape = x.kind == VertexKind::record ? "box"
                      : x.kind == VertexKind::page ? "folder"
                      : x.kind == VertexKind::flb  ? "hexagon"
                                                   : "ellipse";
  std::string label = x.label, style = "filled", color = "black", fill = "white";
  if (x.kind == VertexKind::iommu || x.kind == VertexKind::domain || x.kind == VertexKind::device) fill = "lightblue";
  if (x.kind == VertexKind::flb) fill = "lightyellow";
  if (x.kind == VertexKind::record) label += "\\nref_count=" + std::to_string(x.ref_count);
  if (x.deleted) label += "\\n[deleted]", style = "dashed", color = "gray50";
  if (x.freed) label += "\\n[freed]", style = "dotted", color = "gray50";
  if (is_leaked(g, v, view)) label += "\\n[leaked]", color = "red", fill = "mistyrose", style = "filled,bold";
  if (x.kind == VertexKind::nowhere) color = "red";
  out << "  v" << v << " [shape=" << shape << " style=\"" << style << "\" color=" << color << " fillcolor=" << fill
      << " label=\"" << dot_escape(label) << "\"];\n";
}

void write_edge(std::ostream& out, const ObjectGraph& g, ObjectGraph::edge_descriptor e) {
  const GraphVertex& from = g[boost::source(e, g)];
  const GraphVertex& to = g[boost::target(e, g)];
  bool from_live = !from.freed && (from.kind != VertexKind::record || is_live_record(from));
  bool dangling =
      g[e].kind != EdgeKind::contains && from_live && (to.freed || to.deleted || to.kind == VertexKind::nowhere);
  out << "  v" << boost::source(e, g) << " -> v" << boost::target(e, g) << " [label=\"" << edge_kind_name(g[e].kind)
      << (dangling ? " (dangling)" : "") << "\"" << (dangling ? " color=red fontcolor=red penwidth=2" : "") << "];\n";
}

}  // namespace

std::string graph_dot_at(const Scenario& s, int step) {
  graph_capture cap(step);
  RunOptions o;
  o.properties = PropertySet();  // draw the state, whatever it breaks
  o.observer = &cap;
  Scenario copy = s;
  copy.kexec = false;
  RunResult r = run(copy, o);
  if (cap.captured < 0)
    throw std::invalid_argument("--step: " + std::to_string(step) + " is past the run's last step (" +
                                std::to_string(r.steps - 1) + ")");
  const ObjectGraph& g = cap.graph;
  int at = cap.captured;
  callers_view view = callers_after(s, r, cap);

  std::ostringstream out;
  std::string title = s.variant + ", " + caller_mode_name(s.mode) + " mode: the object graph after step " +
                      std::to_string(at) + (view.last_call.empty() ? "" : " (last return: " + view.last_call + ")");
  out << "digraph luv {\n  label=\"" << dot_escape(title)
      << "\\nred: leaked (held for nothing the callers still preserve) or dangling; gray dashed: deleted; "
         "gray dotted: freed\";\n  labelloc=t;\n  rankdir=LR;\n"
      << "  node [fontname=\"monospace\" fontsize=10];\n  edge [fontname=\"monospace\" fontsize=9];\n";
  for (auto [v, end] = boost::vertices(g); v != end; ++v) write_vertex(out, g, *v, view);
  for (auto [e, end] = boost::edges(g); e != end; ++e) write_edge(out, g, *e);
  out << "}\n";
  return out.str();
}

// ---- swim lanes ---------------------------------------------------------------

namespace {

class lock_watch : public RunObserver {
 public:
  std::map<int, std::vector<std::string>> held_after;  // step -> locks the stepping thread holds
  std::map<int, std::vector<std::string>> faults;      // step -> faults fired in it
  void on_step(const impl::World& w, int thread) override {
    std::vector<std::string> held;
    if (w.iommu_flb.lock.owner == thread) held.push_back(w.iommu_flb.lock.name);
    for (const impl::iommu_flb_obj& obj : w.flb_cache.objects)
      if (!obj.freed && obj.lock.owner == thread) held.push_back(obj.lock.name);
    held_after[step_] = held;
    for (; seen_ < w.faults_fired.size(); ++seen_) {
      const Fault& f = w.faults_fired[seen_];
      faults[step_].push_back(std::string("FAULT ") + impl::fault_site_name(f.site) +
                              (f.err ? " " + impl::errno_name(f.err) : ""));
    }
    ++step_;
  }

 private:
  int step_ = 0;
  size_t seen_ = 0;
};

// The Runner's trace lines, without their "[step] Tn" prefix, by content.
LaneEvent classify(const std::string& text) {
  LaneEvent e;
  size_t first = text.find_first_not_of(' ');
  e.text = first == std::string::npos ? "" : text.substr(first);
  const std::string& t = e.text;
  bool call_shape = !t.empty() && t.back() == ')' && t.find('(') != std::string::npos &&
                    t.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == t.find('(');
  if (t.rfind(".. ", 0) == 0) e.kind = LaneEvent::point, e.text = t.substr(3);
  else if (t.find("WARNING") != std::string::npos) e.kind = LaneEvent::warn;
  else if (t.rfind("BUG", 0) == 0) e.kind = LaneEvent::bug;
  else if (t.find(") = ") != std::string::npos || t.find(") returns") != std::string::npos) e.kind = LaneEvent::ret;
  else if (call_shape) e.kind = LaneEvent::call;
  else e.kind = LaneEvent::log;
  return e;
}

}  // namespace

Lanes lanes_of(const Scenario& s, const PropertySet& properties, const std::string& title) {
  lock_watch watch;
  RunOptions o;
  o.trace = true;
  o.properties = properties;
  o.observer = &watch;
  RunResult r = run(s, o);
  Lanes l;
  l.title = title;
  l.threads = static_cast<int>(s.threads.size());
  // The lock watch displaces the model's observer, so the verdict comes
  // from a run apart; runs are deterministic, so both take the same steps.
  RunOptions judged;
  judged.properties = properties;
  l.violation = run(s, judged).verdict.violation;
  for (const std::string& line : r.trace) {
    int step = 0, thread = -1, used = 0;
    if (std::sscanf(line.c_str(), "[%d] T%d %n", &step, &thread, &used) == 2 && used > 0) {
      if (l.steps.empty() || l.steps.back().step != step || l.steps.back().thread != thread)
        l.steps.push_back(LaneStep{step, thread, {}, watch.held_after[step]});
      l.steps.back().events.push_back(classify(line.substr(static_cast<size_t>(used))));
    } else if (std::sscanf(line.c_str(), "[%d] %n", &step, &used) == 1 && used > 0) {
      if (l.steps.empty() || l.steps.back().thread != -1) l.steps.push_back(LaneStep{step, -1, {}, {}});
      l.steps.back().events.push_back(classify(line.substr(static_cast<size_t>(used))));
    }
  }
  for (LaneStep& st : l.steps)
    for (const std::string& f : watch.faults[st.step])
      if (st.thread >= 0) st.events.push_back({LaneEvent::fault, f});
  // Lock holds per thread, as step ranges.
  l.holds.resize(l.threads);
  for (const LaneStep& st : l.steps) {
    if (st.thread < 0) continue;
    auto& ranges = l.holds[st.thread];
    bool holding = !st.locks_held.empty();
    if (holding && !ranges.empty() && ranges.back().second == -1) continue;
    if (holding) ranges.push_back({st.step, -1});
    else if (!ranges.empty() && ranges.back().second == -1) ranges.back().second = st.step;
  }
  for (auto& ranges : l.holds)
    if (!ranges.empty() && ranges.back().second == -1) ranges.back().second = r.steps;
  return l;
}

std::string lanes_txt(const Lanes& l) {
  const int width = 46;
  std::ostringstream out;
  out << l.title << "\n";
  out << "step ";
  for (int t = 0; t < l.threads; ++t) {
    std::string h = "T" + std::to_string(t);
    out << "| " << h << std::string(width - h.size(), ' ');
  }
  out << "\n" << std::string(5 + l.threads * (width + 2), '-') << "\n";
  for (const LaneStep& st : l.steps) {
    bool violating = l.violation && l.violation->step == st.step && (l.violation->thread == st.thread || st.thread < 0);
    for (size_t i = 0; i < st.events.size(); ++i) {
      char num[16];
      std::snprintf(num, sizeof num, "%4d", st.step);
      out << (i == 0 ? std::string(num) : std::string(4, ' ')) << (violating ? "!" : " ");
      std::string text = st.events[i].text;
      if (st.events[i].kind == LaneEvent::point) text = ".. " + text;
      if (st.thread < 0) {
        out << "| " << text << "\n";
        continue;
      }
      for (int t = 0; t < l.threads; ++t) {
        // A lane shows '#' at its left edge while its thread holds a lock.
        bool holds = false;
        for (auto [from, to] : l.holds[t]) holds |= st.step >= from && st.step < to;
        std::string cell = t == st.thread ? text : "";
        if (cell.size() > static_cast<size_t>(width - 2)) cell = cell.substr(0, width - 5) + "...";
        out << (holds ? "|#" : "| ") << cell << std::string(width - cell.size(), ' ');
      }
      out << "\n";
    }
  }
  if (l.violation)
    out << "VIOLATION " << property_name(l.violation->property) << " at step " << l.violation->step << ": "
        << l.violation->message << "\n";
  else
    out << "ok: no property violated\n";
  out << "(# at a lane's edge: its thread holds a lock; ! after a step number: the violating step)\n";
  return out.str();
}

namespace {

constexpr int lane_w = 330, left = 60, top = 70, line_h = 14, pad = 6, char_w = 6;

// Where everything goes: each step's row top (y[i]; y.back() is the end),
// the picture's size, and the title wrapped to its width.
struct svg_layout {
  std::vector<int> y;
  int width = 0, height = 0;
  std::vector<std::string> title_lines;

  // The top of the first thread's step at or after `step` (the end if none).
  int step_y(const Lanes& l, int step) const {
    for (size_t i = 0; i < l.steps.size(); ++i)
      if (l.steps[i].step >= step && l.steps[i].thread >= 0) return y[i];
    return y.back();
  }
};

// The title (path, variant, the story) wrapped to the picture's width.
std::vector<std::string> wrap_title(const std::string& title, int width) {
  std::vector<std::string> lines;
  size_t per_line = static_cast<size_t>((width - 20) * 2 / 15);  // about 7.5 px a character
  std::string rest = title;
  while (!rest.empty()) {
    size_t cut = rest.size() <= per_line ? rest.size() : rest.rfind(' ', per_line);
    if (cut == std::string::npos || cut == 0) cut = std::min(per_line, rest.size());
    lines.push_back(rest.substr(0, cut));
    rest = cut < rest.size() ? rest.substr(cut + (rest[cut] == ' ')) : "";
  }
  return lines;
}

svg_layout layout_of(const Lanes& l) {
  svg_layout s;
  // Row heights: one line per event, at least one.
  s.y.resize(l.steps.size() + 1);
  s.y[0] = top;
  for (size_t i = 0; i < l.steps.size(); ++i)
    s.y[i + 1] = s.y[i] + static_cast<int>(std::max<size_t>(1, l.steps[i].events.size())) * line_h + 2 * pad;
  s.width = left + std::max(1, l.threads) * lane_w + 20;
  int footer = l.violation ? 3 : 2;
  s.title_lines = wrap_title(l.title, s.width);
  int shift = static_cast<int>(s.title_lines.size()) * 16;
  for (int& row : s.y) row += shift;
  s.height = s.y.back() + footer * line_h + 30;
  return s;
}

void write_header(std::ostream& o, const svg_layout& s) {
  int shift = static_cast<int>(s.title_lines.size()) * 16;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << s.width << "\" height=\"" << s.height
    << "\" font-family=\"monospace\" font-size=\"11\">\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (size_t i = 0; i < s.title_lines.size(); ++i)
    o << "<text x=\"10\" y=\"" << 20 + 16 * i << "\" font-size=\"12\" font-weight=\"" << (i == 0 ? "bold" : "normal")
      << "\">" << xml(s.title_lines[i]) << "</text>\n";
  o << "<text x=\"10\" y=\"" << 20 + shift << "\" fill=\"#555\">lanes: one per thread; blue bar: a lock held; orange: WARN; purple: "
       "fault injected; red: the violating step</text>\n";
}

// Each thread's lane, and a bar beside it for each lock it holds.
void write_lanes(std::ostream& o, const Lanes& l, const svg_layout& s) {
  for (int t = 0; t < l.threads; ++t) {
    int x = left + t * lane_w;
    int top_y = s.y[0];
    o << "<rect x=\"" << x << "\" y=\"" << top_y - 20 << "\" width=\"" << lane_w - 10 << "\" height=\""
      << s.y.back() - top_y + 20 << "\" fill=\"" << (t % 2 ? "#f4f7fb" : "#f9f9f4") << "\" stroke=\"#ccc\"/>\n";
    o << "<text x=\"" << x + 8 << "\" y=\"" << top_y - 6 << "\" font-weight=\"bold\">T" << t << "</text>\n";
    for (auto [from, to] : l.holds[t]) {
      int y0 = s.step_y(l, from), y1 = s.step_y(l, to);
      o << "<rect x=\"" << x + 1 << "\" y=\"" << y0 << "\" width=\"5\" height=\"" << std::max(4, y1 - y0)
        << "\" fill=\"#3366cc\"><title>holds a lock, steps " << from << "-" << to - 1 << "</title></rect>\n";
    }
  }
}

void write_event(std::ostream& o, const LaneEvent& e, int x, int y, int w) {
  std::string color = "#000", weight = "normal", text = e.text;
  switch (e.kind) {
    case LaneEvent::call: weight = "bold"; text = "-> " + text; break;
    case LaneEvent::ret: weight = "bold"; color = "#060"; text = "<- " + text; break;
    case LaneEvent::point: color = "#777"; text = ".. " + text; break;
    case LaneEvent::warn: color = "#d60"; weight = "bold"; break;
    case LaneEvent::bug: color = "#d00"; weight = "bold"; break;
    case LaneEvent::fault: color = "#80c"; weight = "bold"; break;
    case LaneEvent::log: color = "#444"; break;
  }
  size_t max_chars = static_cast<size_t>((w - 12) / char_w);
  if (text.size() > max_chars) text = text.substr(0, max_chars - 3) + "...";
  o << "<text x=\"" << x + 6 << "\" y=\"" << y << "\" fill=\"" << color << "\" font-weight=\"" << weight
    << "\"><title>" << xml(e.text) << "</title>" << xml(text) << "</text>\n";
}

// Step i: its number, a rule across, its box (red when it violates) and its events.
void write_step(std::ostream& o, const Lanes& l, const svg_layout& s, size_t i) {
  const LaneStep& st = l.steps[i];
  const std::vector<int>& y = s.y;
  bool violating = l.violation && l.violation->step == st.step && (l.violation->thread == st.thread || st.thread < 0);
  int x = st.thread >= 0 ? left + st.thread * lane_w + 10 : left + 4;
  int w = st.thread >= 0 ? lane_w - 26 : l.threads * lane_w - 20;
  o << "<text x=\"10\" y=\"" << y[i] + pad + 10 << "\" fill=\"#888\">" << st.step << "</text>\n";
  o << "<line x1=\"" << left << "\" y1=\"" << y[i] << "\" x2=\"" << s.width - 20 << "\" y2=\"" << y[i]
    << "\" stroke=\"#eee\"/>\n";
  o << "<rect x=\"" << x << "\" y=\"" << y[i] + 2 << "\" width=\"" << w << "\" height=\"" << y[i + 1] - y[i] - 4
    << "\" rx=\"4\" fill=\"" << (violating ? "#ffe5e5" : "white") << "\" stroke=\"" << (violating ? "#d00" : "#999")
    << "\" stroke-width=\"" << (violating ? 2 : 1) << "\"/>\n";
  for (size_t k = 0; k < st.events.size(); ++k)
    write_event(o, st.events[k], x, y[i] + pad + 10 + static_cast<int>(k) * line_h, w);
}

void write_footer(std::ostream& o, const Lanes& l, const svg_layout& s) {
  int fy = s.y.back() + 20;
  if (l.violation) {
    o << "<text x=\"10\" y=\"" << fy << "\" fill=\"#d00\" font-weight=\"bold\">VIOLATION "
      << property_name(l.violation->property) << " at step " << l.violation->step << "</text>\n";
    o << "<text x=\"10\" y=\"" << fy + line_h << "\" fill=\"#d00\">" << xml(l.violation->message) << "</text>\n";
  } else {
    o << "<text x=\"10\" y=\"" << fy << "\" fill=\"#060\" font-weight=\"bold\">ok: no property violated</text>\n";
  }
  o << "</svg>\n";
}

}  // namespace

std::string lanes_svg(const Lanes& l) {
  svg_layout s = layout_of(l);
  std::ostringstream o;
  write_header(o, s);
  write_lanes(o, l, s);
  for (size_t i = 0; i < l.steps.size(); ++i) write_step(o, l, s, i);
  write_footer(o, l, s);
  return o.str();
}

}  // namespace luv
