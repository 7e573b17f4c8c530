#include "output.hpp"

#include <mlake/util/time.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

namespace mlake::cli {

std::string
short_id(const std::string& id)
{
  return id.substr(0, 10);
}

std::string
human_time(const std::string& rfc3339)
{
  util::Micros t;
  if (!util::parse_rfc3339(rfc3339, t)) {
    return rfc3339;
  }
  return util::format_human(t);
}

std::string
or_dash(const std::string& text)
{
  return text.empty() ? "-" : text;
}

std::string
printable(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7F) {
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\x%02x", byte);
      out += buffer;
    }
  }
  return out;
}

std::size_t
display_width(const std::string& text)
{
  std::size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) {
      ++width;
    }
  }
  return width;
}

std::string
pad(const std::string& text, std::size_t width)
{
  std::size_t w = display_width(text);
  return w >= width ? text : text + std::string(width - w, ' ');
}

void
print_json(const json& doc)
{
  std::cout << doc.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

namespace {

// Draws "adding 1234/10000 files 45.6/120.0 MiB 210 MiB/s" on stderr,
// starting only when a phase has run for a second, so quick commands stay
// quiet.
class TerminalProgress : public util::Progress
{
public:
  ~TerminalProgress() override
  {
    stop();
  }

  void
  begin(std::string_view what,
        std::uint64_t items,
        std::uint64_t bytes) override
  {
    stop();
    std::lock_guard<std::mutex> lock(m_mutex);
    m_what = std::string(what);
    m_total_items = items;
    m_total_bytes = bytes;
    m_items = 0;
    m_bytes = 0;
    m_start = std::chrono::steady_clock::now();
    m_running = true;
    m_drawn = false;
    m_thread = std::thread([this] { loop(); });
  }

  void
  advance(std::uint64_t items, std::uint64_t bytes) override
  {
    m_items += items;
    m_bytes += bytes;
  }

  void
  end() override
  {
    stop();
  }

private:
  void
  stop()
  {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      if (!m_running) {
        return;
      }
      m_running = false;
    }
    m_cv.notify_all();
    m_thread.join();
    if (m_drawn) {
      std::fputs("\r\033[K", stderr);
      std::fflush(stderr);
    }
  }

  void
  loop()
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    if (m_cv.wait_for(
            lock, std::chrono::seconds(1), [this] { return !m_running; })) {
      return;
    }
    while (m_running) {
      draw();
      m_cv.wait_for(
          lock, std::chrono::milliseconds(200), [this] { return !m_running; });
    }
  }

  void
  draw()
  {
    using namespace std::chrono;
    double seconds = duration<double>(steady_clock::now() - m_start).count();
    std::uint64_t items = m_items;
    std::uint64_t bytes = m_bytes;
    std::string line = m_what + " " + std::to_string(items);
    if (m_total_items) {
      line += "/" + std::to_string(m_total_items);
    }
    line += " files";
    if (m_total_bytes || bytes) {
      line += "  " + human_size(bytes);
      if (m_total_bytes) {
        line += "/" + human_size(m_total_bytes);
      }
      line += "  " +
              human_size(static_cast<std::uint64_t>(
                  seconds > 0 ? double(bytes) / seconds : 0)) +
              "/s";
    }
    double fraction = -1;
    if (m_total_bytes) {
      fraction = double(bytes) / double(m_total_bytes);
    } else if (m_total_items) {
      fraction = double(items) / double(m_total_items);
    }
    if (fraction >= 0) {
      char percent[8];
      std::snprintf(percent, sizeof(percent), "%3d%%", int(fraction * 100));
      line += "  " + std::string(percent);
    }
    struct winsize ws;
    std::size_t columns = 80;
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
      columns = ws.ws_col;
    }
    if (line.size() >= columns) {
      line.resize(columns - 1);
    }
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    m_drawn = true;
  }

  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::thread m_thread;
  bool m_running = false;
  bool m_drawn = false;
  std::string m_what;
  std::uint64_t m_total_items = 0;
  std::uint64_t m_total_bytes = 0;
  std::atomic<std::uint64_t> m_items{0};
  std::atomic<std::uint64_t> m_bytes{0};
  std::chrono::steady_clock::time_point m_start;
};

} // namespace

namespace {

void
print_io(const json& items, const char* label)
{
  for (const auto& item : items) {
    std::cout << "    " << label << "  " << item["artifact"].get<std::string>();
    if (item.contains("version")) {
      std::cout << "@" << item["version"].get<int>();
    }
    std::cout << "  (" << item["type"].get<std::string>() << ", "
              << human_size(item["size"].get<std::uint64_t>()) << ", "
              << short_id(item["hash"].get<std::string>()) << ")\n";
  }
}

} // namespace

std::vector<std::string>
model_warnings(const json& model, const std::string& name)
{
  std::vector<std::string> lines;
  const std::string format = model.value("format", std::string("model"));
  const std::string file = printable(name);
  constexpr std::size_t shown = 10;
  const json& unsafe =
      model.contains("unsafe_imports") && model["unsafe_imports"].is_array()
          ? model["unsafe_imports"]
          : json::array();
  for (const auto& u : unsafe) {
    if (lines.size() == shown) {
      lines.push_back("warning: " + file + " imports " +
                      std::to_string(unsafe.size() - shown) +
                      " more names not known to be safe");
      break;
    }
    std::string where = format;
    if (u.contains("where")) {
      where += ", in " + printable(u["where"].get<std::string>());
    }
    std::string import = printable(u.value("import", std::string("?")));
    if (u.value("severity", std::string()) == "dangerous") {
      lines.push_back("warning: " + file + " would import " + import +
                      " when loaded (" + where + ")");
    } else {
      lines.push_back("warning: " + file + " would import " + import +
                      ", which is not known to be safe, when loaded (" + where +
                      ")");
    }
  }
  if (model.value("verdict", std::string()) != "safe" &&
      model.contains("error")) {
    lines.push_back("warning: " + file + " could not be verified: " +
                    printable(model["error"].get<std::string>()));
  } else if (model.value("verdict", std::string()) == "not verified" &&
             unsafe.empty()) {
    lines.push_back("warning: " + file +
                    " could not be verified: parts of it were not inspected");
  }
  return lines;
}

void
print_model_warnings(const json& model, const std::string& name)
{
  if (!model.is_object()) {
    return;
  }
  for (const auto& line : model_warnings(model, name)) {
    std::cerr << line << "\n";
  }
}

void
print_node_text(const json& node)
{
  std::cout << "node " << node["id"].get<std::string>() << "  ("
            << node["kind"].get<std::string>() << ")\n";
  std::cout << "Author: " << node["user"]["name"].get<std::string>() << " <"
            << node["user"]["email"].get<std::string>() << ">\n";
  std::cout << "Date:   " << human_time(node["time"]["end"].get<std::string>())
            << "  on " << node["host"].get<std::string>() << "\n\n";
  std::istringstream message(node["message"].get<std::string>());
  for (std::string line; std::getline(message, line);) {
    std::cout << "    " << printable(line) << "\n";
  }
  if (!node["inputs"].empty() || !node["outputs"].empty()) {
    std::cout << "\n";
  }
  print_io(node["inputs"], "input ");
  print_io(node["outputs"], "output");
}

std::unique_ptr<util::Progress>
make_progress(bool enabled)
{
  if (enabled && ::isatty(STDERR_FILENO)) {
    return std::make_unique<TerminalProgress>();
  }
  return std::make_unique<util::Progress>();
}

} // namespace mlake::cli
