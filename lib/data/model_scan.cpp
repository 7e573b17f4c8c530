#include <mlake/data/model_scan.hpp>
#include <mlake/util/error.hpp>
#include <mlake/util/fs.hpp>
#include <mlake/util/interrupt.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "utf8.hpp"

namespace mlake::data {

namespace {

// How much a scan keeps, whatever the file declares. Everything else is
// skipped or counted, so that memory stays bounded on any input.
constexpr std::size_t max_listed_tensors = 100;
constexpr std::size_t max_listed_keys = 256;
constexpr std::size_t max_listed_imports = 1000;
constexpr std::size_t max_unsafe_entries = 100;
constexpr std::size_t max_kept_text = 256;
constexpr std::uint64_t max_safetensors_header = 16ull << 20;
constexpr std::size_t max_zip_pickles = 64;

// The scan of one part of a file stopped: the file is malformed,
// truncated, or asks for more than mlake inspects.
struct Malformed : std::runtime_error
{
  using std::runtime_error::runtime_error;
};

std::string
at_byte(std::uint64_t offset)
{
  return " at byte " + std::to_string(offset);
}

// Checked arithmetic on sizes a file declares.
bool
mul_overflows(std::uint64_t a, std::uint64_t b, std::uint64_t& out)
{
  return __builtin_mul_overflow(a, b, &out);
}

// Buffered reads of the byte range [begin, end) of an open file. Offsets
// it reports are relative to `begin`.
class Source
{
public:
  Source(int fd, std::uint64_t begin, std::uint64_t end)
      : m_fd(fd), m_begin(begin), m_end(end), m_pos(begin)
  {}

  std::uint64_t
  offset() const
  {
    return m_pos - m_begin;
  }
  std::uint64_t
  remaining() const
  {
    return m_end - m_pos;
  }
  bool
  at_end() const
  {
    return m_pos >= m_end;
  }

  // The byte `ahead` bytes on, or -1 past the end.
  int
  peek(std::uint64_t ahead = 0)
  {
    if (ahead >= remaining()) {
      return -1;
    }
    std::uint64_t at = m_pos + ahead;
    if (at < m_buf_at || at >= m_buf_at + m_buf_len) {
      fill(at);
    }
    return m_buf[at - m_buf_at];
  }

  int
  get()
  {
    int c = peek();
    if (c >= 0) {
      ++m_pos;
    }
    return c;
  }

  void
  read(void* out, std::size_t n, const char* what)
  {
    need(n, what);
    auto* p = static_cast<unsigned char*>(out);
    while (n > 0) {
      if (m_pos < m_buf_at || m_pos >= m_buf_at + m_buf_len) {
        fill(m_pos);
      }
      std::size_t chunk =
          std::min<std::uint64_t>(n, m_buf_at + m_buf_len - m_pos);
      std::memcpy(p, m_buf.data() + (m_pos - m_buf_at), chunk);
      p += chunk;
      n -= chunk;
      m_pos += chunk;
    }
  }

  // An unsigned little-endian integer of `bytes` bytes.
  std::uint64_t
  le(int bytes, const char* what)
  {
    unsigned char b[8] = {};
    read(b, static_cast<std::size_t>(bytes), what);
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) {
      v = (v << 8) | b[i];
    }
    return v;
  }

  void
  skip(std::uint64_t n, const char* what)
  {
    need(n, what);
    m_pos += n;
  }

  // `n` bytes, of which the first `keep` are returned.
  std::string
  text(std::uint64_t n, const char* what, std::size_t keep = max_kept_text)
  {
    need(n, what);
    std::string out(static_cast<std::size_t>(std::min<std::uint64_t>(n, keep)),
                    '\0');
    read(out.data(), out.size(), what);
    m_pos += n - out.size();
    return out;
  }

  // A line up to '\n' (which is consumed, not returned), of which the
  // first `keep` bytes are returned.
  std::string
  line(const char* what, std::size_t keep = max_kept_text)
  {
    std::string out;
    std::uint64_t start = offset();
    for (;;) {
      int c = get();
      if (c < 0) {
        throw Malformed(std::string("truncated: the ") + what + " that starts" +
                        at_byte(start) + " has no line end");
      }
      if (c == '\n') {
        return out;
      }
      if (out.size() < keep) {
        out.push_back(static_cast<char>(c));
      }
    }
  }

  void
  need(std::uint64_t n, const char* what) const
  {
    if (n > remaining()) {
      throw Malformed(std::string("truncated: the ") + what +
                      at_byte(offset()) + " needs " + std::to_string(n) +
                      " bytes, only " + std::to_string(remaining()) +
                      " are left");
    }
  }

private:
  void
  fill(std::uint64_t at)
  {
    std::size_t want = static_cast<std::size_t>(
        std::min<std::uint64_t>(m_buf.size(), m_end - at));
    ssize_t got;
    do {
      got = ::pread(m_fd, m_buf.data(), want, static_cast<off_t>(at));
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      throw Error(Exit::not_found, "cannot read: " + util::errno_text(errno));
    }
    if (static_cast<std::size_t>(got) < want) {
      throw Malformed("the file ended early (was it changed while read?)");
    }
    m_buf_at = at;
    m_buf_len = static_cast<std::size_t>(got);
  }

  int m_fd;
  std::uint64_t m_begin, m_end, m_pos;
  std::array<unsigned char, 65536> m_buf{};
  std::uint64_t m_buf_at = 0;
  std::size_t m_buf_len = 0;
};

// --- what importing a name does -----------------------------------------

bool
in_module(std::string_view module, std::string_view root)
{
  return module == root ||
         (module.size() > root.size() && module.starts_with(root) &&
          module[root.size()] == '.');
}

// --- pickles --------------------------------------------------------------

// What the pickles of one file would do, gathered over all of them.
struct Findings
{
  std::vector<std::string> imports;
  std::set<std::string> import_set;
  bool imports_truncated = false;
  json unsafe = json::array();
  std::set<std::pair<std::string, std::string>> unsafe_seen;
  bool dangerous = false;
  bool unknown = false;
  int protocol = -1;
  std::uint64_t pickles = 0;
  std::uint64_t tensors = 0;
  std::uint64_t parameters = 0;
  bool shapes_known = true;
  std::uint64_t arrays = 0;
  bool joblib = false;
  bool legacy_torch = false;
  std::vector<std::string> notes;
  std::optional<std::string> error;
  bool incomplete = false;

  void
  add_import(const std::string& module,
             const std::string& name,
             const std::string& where,
             std::uint64_t offset)
  {
    if (in_module(module, "joblib")) {
      joblib = true;
    }
    add(valid_utf8(module + "." + name),
        import_severity(module, name),
        where,
        offset);
  }

  // An import the walk cannot name (`full` says why).
  void
  add(const std::string& full,
      const std::string& severity,
      const std::string& where,
      std::uint64_t offset)
  {
    if (!import_set.count(full)) {
      if (import_set.size() < max_listed_imports) {
        import_set.insert(full);
        imports.push_back(full);
      } else {
        imports_truncated = true;
      }
    }
    if (severity == "safe") {
      return;
    }
    (severity == "dangerous" ? dangerous : unknown) = true;
    if (unsafe.size() < max_unsafe_entries &&
        unsafe_seen.emplace(full, where).second) {
      json entry = {
          {"import", full}, {"severity", severity}, {"offset", offset}};
      if (!where.empty()) {
        entry["where"] = valid_utf8(where);
      }
      unsafe.push_back(std::move(entry));
    }
  }

  void
  stop(const std::string& where, const std::string& message)
  {
    incomplete = true;
    if (!error) {
      error = valid_utf8(where.empty() ? message : where + ": " + message);
    }
  }
};

enum class Kind : std::uint8_t
{
  opaque, // something the walk does not follow
  none,
  boolean,
  integer,
  big_integer, // text holds its little-endian bytes
  number,
  string, // str or bytes
  tuple,
  list,
  dict, // items: key, value, key, value...
  set,
  global, // text: module.name
  object, // text: what made it (class or callable); items: its args
};

// The bytes live values take, so that a pickle of millions of objects
// makes later ones opaque rather than using gigabytes.
struct Budget
{
  std::size_t used = 0;
  std::size_t limit = 64ull << 20;
};

struct Value;
using Ref = std::shared_ptr<const Value>;

// A value on the unpickler's stack, as far as the walk follows it.
// Values never change once made (a container that grows is copied), so
// they form no cycles however the pickle refers back to itself.
struct Value
{
  Kind kind = Kind::opaque;
  std::int64_t integer = 0;
  std::string text;
  std::vector<Ref> items;
  bool truncated = false;
  Budget* budget = nullptr;
  std::size_t cost = 0;

  ~Value()
  {
    if (budget) {
      budget->used -= cost;
    }
  }

  const Ref*
  field(std::string_view key) const
  {
    if (kind != Kind::dict) {
      return nullptr;
    }
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
      if (items[i]->kind == Kind::string && items[i]->text == key) {
        return &items[i + 1];
      }
    }
    return nullptr;
  }
};

constexpr std::size_t max_items = 32;
constexpr std::size_t max_stack = 1u << 20;
constexpr std::size_t max_memo = 1u << 18;

// The magic number a legacy (pre-1.6) torch.save writes as its first
// pickle: 0x1950a86a20f9469cfc6c, as LONG1 bytes.
constexpr std::string_view legacy_torch_magic =
    "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";

// Walks the opcodes of one pickle without unpickling it: every import it
// would perform is recorded in `findings`; the stack and memo are tracked
// only so far as is needed to resolve STACK_GLOBAL and to skip the raw
// array data joblib writes between opcodes.
class PickleWalker
{
public:
  PickleWalker(Source& source, Findings& findings, std::string where, int depth)
      : m_src(source), m_findings(findings), m_where(std::move(where)),
        m_depth(depth)
  {
    m_opaque = constant(Kind::opaque);
    m_none = constant(Kind::none);
    m_number = constant(Kind::number);
    m_false = constant(Kind::boolean);
    auto t = std::make_shared<Value>();
    t->kind = Kind::boolean;
    t->integer = 1;
    m_true = t;
  }

  // Walk to the STOP opcode; returns the value it would return.
  Ref
  walk()
  {
    std::uint64_t ops = 0;
    for (;;) {
      if ((++ops & 0xFFFF) == 0) {
        util::throw_if_interrupted();
      }
      m_at = m_src.offset();
      int op = m_src.get();
      if (op < 0) {
        throw Malformed("truncated pickle: it ends" + at_byte(m_at) +
                        " without a STOP opcode");
      }
      if (op == '.') {
        // What is returned outlives this walker and its budget.
        Ref v = pop();
        auto out = std::make_shared<Value>();
        out->kind = v->kind;
        out->integer = v->integer;
        out->text = v->text;
        return out;
      }
      step(static_cast<unsigned char>(op));
    }
  }

private:
  static Ref
  constant(Kind kind)
  {
    auto v = std::make_shared<Value>();
    v->kind = kind;
    return v;
  }

  Ref
  make(Kind kind,
       std::string text = {},
       std::vector<Ref> items = {},
       bool truncated = false,
       std::int64_t integer = 0)
  {
    std::size_t cost =
        sizeof(Value) + 32 + text.capacity() + items.capacity() * sizeof(Ref);
    if (m_budget.used + cost > m_budget.limit) {
      return m_opaque;
    }
    auto v = std::make_shared<Value>();
    v->kind = kind;
    v->text = std::move(text);
    v->items = std::move(items);
    v->truncated = truncated;
    v->integer = integer;
    v->budget = &m_budget;
    v->cost = cost;
    m_budget.used += cost;
    return v;
  }

  Ref
  make_int(std::int64_t i)
  {
    return make(Kind::integer, {}, {}, false, i);
  }

  // A container of `items`, keeping the first max_items.
  Ref
  container(Kind kind, std::vector<Ref> items, bool truncated = false)
  {
    if (items.size() > max_items) {
      items.resize(max_items);
      truncated = true;
    }
    return make(kind, {}, std::move(items), truncated);
  }

  // `c` with `more` added (a new value: values never change).
  Ref
  grown(const Ref& c, std::vector<Ref> more)
  {
    if ((c->kind != Kind::list && c->kind != Kind::dict &&
         c->kind != Kind::set) ||
        more.empty()) {
      return c; // an object's own append or setitem, or something unknown
    }
    if (c->truncated && c->items.size() >= max_items) {
      return c;
    }
    std::vector<Ref> items = c->items;
    for (auto& m : more) {
      if (items.size() >= max_items) {
        return container(c->kind, std::move(items), true);
      }
      items.push_back(std::move(m));
    }
    return container(c->kind, std::move(items), c->truncated);
  }

  std::size_t
  base() const
  {
    return m_marks.empty() ? 0 : m_marks.back();
  }

  void
  push(Ref v)
  {
    if (m_stack.size() >= max_stack) {
      throw Malformed("more than " + std::to_string(max_stack) +
                      " objects on the pickle stack" + at_byte(m_at) +
                      ": not inspected further");
    }
    m_stack.push_back(std::move(v));
  }

  Ref
  pop()
  {
    if (m_stack.size() <= base()) {
      throw Malformed("garbled pickle: stack underflow" + at_byte(m_at));
    }
    Ref v = std::move(m_stack.back());
    m_stack.pop_back();
    return v;
  }

  Ref&
  top()
  {
    if (m_stack.size() <= base()) {
      throw Malformed("garbled pickle: stack underflow" + at_byte(m_at));
    }
    return m_stack.back();
  }

  std::vector<Ref>
  pop_mark()
  {
    if (m_marks.empty()) {
      throw Malformed("garbled pickle: no MARK before the opcode" +
                      at_byte(m_at));
    }
    std::size_t b = m_marks.back();
    m_marks.pop_back();
    std::vector<Ref> items(
        std::make_move_iterator(m_stack.begin() + static_cast<long>(b)),
        std::make_move_iterator(m_stack.end()));
    m_stack.resize(b);
    return items;
  }

  void
  put(std::uint64_t key)
  {
    Ref v = top();
    auto it = m_memo.find(key);
    if (it != m_memo.end()) {
      it->second = std::move(v);
    } else if (m_memo.size() < max_memo) {
      m_memo.emplace(key, std::move(v));
      ++m_memo_size;
    } else {
      m_memo_dropped = true;
      ++m_memo_size;
    }
  }

  void
  get(std::uint64_t key)
  {
    auto it = m_memo.find(key);
    if (it != m_memo.end()) {
      push(it->second);
    } else if (m_memo_dropped) {
      push(m_opaque);
    } else {
      throw Malformed("garbled pickle: memo key " + std::to_string(key) +
                      " is not set" + at_byte(m_at));
    }
  }

  std::uint64_t
  decimal(const std::string& text, const char* what)
  {
    std::uint64_t v = 0;
    if (text.empty() || text.size() > 18 ||
        !std::all_of(text.begin(), text.end(), [](unsigned char c) {
          return std::isdigit(c);
        })) {
      throw Malformed(std::string("garbled pickle: the ") + what +
                      at_byte(m_at) + " is not a number");
    }
    for (char c : text) {
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
  }

  void
  import(const std::string& module, const std::string& name)
  {
    m_findings.add_import(module, name, m_where, m_at);
  }

  Ref
  global(std::string module, std::string name)
  {
    if (module == "__builtin__") {
      module = "builtins";
    } else if (module == "copy_reg") {
      module = "copyreg";
    }
    import(module, name);
    return make(Kind::global, module + "." + name);
  }

  // What an object made from `callable` applied to `args` is an instance
  // of, when the walk can tell: the class, or the callable's name.
  Ref
  object(const Ref& callable, const Ref& args)
  {
    std::string type = callable->kind == Kind::global ? callable->text : "";
    if ((type == "copyreg._reconstructor" || type == "copyreg.__newobj__") &&
        args->kind == Kind::tuple && !args->items.empty() &&
        args->items[0]->kind == Kind::global) {
      type = args->items[0]->text;
    }
    if (type == "torch._utils._rebuild_tensor_v2" ||
        type == "torch._utils._rebuild_tensor") {
      count_tensor(args);
    }
    return make(Kind::object, std::move(type), {args});
  }

  void
  count_tensor(const Ref& args)
  {
    ++m_findings.tensors;
    std::uint64_t n = 1;
    if (args->kind == Kind::tuple && args->items.size() >= 3 &&
        args->items[2]->kind == Kind::tuple && !args->items[2]->truncated) {
      for (const auto& d : args->items[2]->items) {
        if (d->kind != Kind::integer || d->integer < 0 ||
            mul_overflows(n, static_cast<std::uint64_t>(d->integer), n)) {
          m_findings.shapes_known = false;
          return;
        }
      }
      if (__builtin_add_overflow(
              m_findings.parameters, n, &m_findings.parameters)) {
        m_findings.shapes_known = false;
      }
    } else {
      m_findings.shapes_known = false;
    }
  }

  // joblib writes an array's bytes right after the BUILD of its
  // NumpyArrayWrapper: skip them, sized from the wrapper's state.
  void
  after_build(const Ref& obj, const Ref& state)
  {
    if (obj->kind != Kind::object ||
        obj->text != "joblib.numpy_pickle.NumpyArrayWrapper") {
      return;
    }
    std::string cannot = "cannot tell the size of the array data joblib "
                         "wrote after the NumpyArrayWrapper" +
                         at_byte(m_at) + ": the rest is not inspected";
    const Ref* shape = state->field("shape");
    const Ref* dtype = state->field("dtype");
    if (!shape || !dtype || (*shape)->kind != Kind::tuple ||
        (*shape)->truncated || (*dtype)->kind != Kind::object ||
        (*dtype)->text != "numpy.dtype" || (*dtype)->items.empty()) {
      throw Malformed(cannot);
    }
    const Ref& dargs = (*dtype)->items[0];
    if (dargs->kind != Kind::tuple || dargs->items.empty() ||
        dargs->items[0]->kind != Kind::string) {
      throw Malformed(cannot);
    }
    std::string code = dargs->items[0]->text;
    if (!code.empty() && std::strchr("<>|=", code[0])) {
      code.erase(0, 1);
    }
    std::uint64_t count = 1;
    for (const auto& d : (*shape)->items) {
      if (d->kind != Kind::integer || d->integer < 0 ||
          mul_overflows(count, static_cast<std::uint64_t>(d->integer), count)) {
        throw Malformed(cannot);
      }
    }
    ++m_findings.arrays;
    if (code == "O") {
      // Arrays of Python objects are pickled, not written raw.
      if (m_depth >= 4) {
        throw Malformed("pickles nested too deep" + at_byte(m_at));
      }
      PickleWalker inner(m_src, m_findings, m_where, m_depth + 1);
      inner.walk();
      return;
    }
    std::uint64_t item = 0;
    if (code.size() >= 2) {
      std::string_view digits(code.data() + 1, code.size() - 1);
      auto bracket = digits.find('[');
      digits = digits.substr(0, bracket);
      if (!digits.empty() && digits.size() < 10 &&
          std::all_of(digits.begin(), digits.end(), [](unsigned char c) {
            return std::isdigit(c);
          })) {
        item = std::stoull(std::string(digits));
        if (code[0] == 'U') {
          item *= 4;
        } else if (!std::strchr("fiucbVSaMm", code[0])) {
          item = 0;
        }
      }
    } else if (code == "?") {
      item = 1;
    }
    if (item == 0 || mul_overflows(count, item, count)) {
      throw Malformed(cannot);
    }
    if (const Ref* align = state->field("numpy_array_alignment_bytes");
        align && (*align)->kind == Kind::integer) {
      int padding = m_src.get();
      if (padding < 0) {
        throw Malformed("truncated: joblib array padding" + at_byte(m_at));
      }
      m_src.skip(static_cast<std::uint64_t>(padding), "joblib array padding");
    }
    m_src.skip(count, "joblib array data");
  }

  // The text of a protocol 0 STRING argument: quoted, escapes kept.
  std::string
  quoted(const std::string& line)
  {
    if (line.size() < 2 || (line[0] != '\'' && line[0] != '"')) {
      // A kept prefix of a long line lacks its closing quote: accept that.
      if (line.size() >= max_kept_text && (line[0] == '\'' || line[0] == '"')) {
        return line.substr(1);
      }
      throw Malformed("garbled pickle: the STRING argument" + at_byte(m_at) +
                      " is not quoted");
    }
    if (line.size() < max_kept_text && line.back() != line[0]) {
      throw Malformed("garbled pickle: the STRING argument" + at_byte(m_at) +
                      " is not quoted");
    }
    return line.substr(1, line.size() - (line.back() == line[0] ? 2 : 1));
  }

  Ref
  string_of(std::uint64_t n, const char* what)
  {
    std::string text = m_src.text(n, what);
    bool truncated = text.size() < n;
    return make(Kind::string, std::move(text), {}, truncated);
  }

  void
  step(unsigned char op)
  {
    switch (op) {
    // Stack and memo.
    case '(': // MARK
      if (m_marks.size() >= max_stack) {
        throw Malformed("more than " + std::to_string(max_stack) + " MARKs" +
                        at_byte(m_at) + ": not inspected further");
      }
      m_marks.push_back(m_stack.size());
      return;
    case '0': // POP
      if (m_stack.size() > base()) {
        m_stack.pop_back();
      } else {
        pop_mark();
      }
      return;
    case '1': // POP_MARK
      pop_mark();
      return;
    case '2': // DUP
      push(top());
      return;
    case 'p': // PUT
      put(decimal(m_src.line("PUT argument"), "PUT argument"));
      return;
    case 'q': // BINPUT
      put(m_src.le(1, "BINPUT argument"));
      return;
    case 'r': // LONG_BINPUT
      put(m_src.le(4, "LONG_BINPUT argument"));
      return;
    case 0x94: // MEMOIZE
      put(m_memo_size);
      return;
    case 'g': // GET
      get(decimal(m_src.line("GET argument"), "GET argument"));
      return;
    case 'h': // BINGET
      get(m_src.le(1, "BINGET argument"));
      return;
    case 'j': // LONG_BINGET
      get(m_src.le(4, "LONG_BINGET argument"));
      return;
    case 0x80: { // PROTO
      auto v = static_cast<int>(m_src.le(1, "PROTO argument"));
      if (v > 5) {
        throw Malformed("unsupported pickle protocol " + std::to_string(v) +
                        at_byte(m_at));
      }
      m_findings.protocol = std::max(m_findings.protocol, v);
      return;
    }
    case 0x95: { // FRAME
      // Frames only group opcodes. One cut short makes the pickle
      // unloadable, but the walk goes on, to find what it imports.
      std::uint64_t n = m_src.le(8, "FRAME argument");
      if (n > m_src.remaining()) {
        m_findings.stop(m_where,
                        "truncated: the FRAME" + at_byte(m_at) + " of " +
                            std::to_string(n) + " bytes goes past the end");
      }
      return;
    }

    // Scalars.
    case 'N':
      push(m_none);
      return;
    case 0x88: // NEWTRUE
      push(m_true);
      return;
    case 0x89: // NEWFALSE
      push(m_false);
      return;
    case 'I': { // INT
      std::string line = m_src.line("INT argument");
      if (line == "01" || line == "00") {
        push(line == "01" ? m_true : m_false);
        return;
      }
      push(integer_text(line, "INT"));
      return;
    }
    case 'L': { // LONG
      std::string line = m_src.line("LONG argument");
      if (!line.empty() && line.back() == 'L') {
        line.pop_back();
      }
      push(integer_text(line, "LONG"));
      return;
    }
    case 'J': // BININT
      push(make_int(static_cast<std::int32_t>(m_src.le(4, "BININT argument"))));
      return;
    case 'K': // BININT1
      push(
          make_int(static_cast<std::int64_t>(m_src.le(1, "BININT1 argument"))));
      return;
    case 'M': // BININT2
      push(
          make_int(static_cast<std::int64_t>(m_src.le(2, "BININT2 argument"))));
      return;
    case 0x8a: // LONG1
      push(long_bytes(m_src.le(1, "LONG1 length")));
      return;
    case 0x8b: { // LONG4
      auto n = static_cast<std::int32_t>(m_src.le(4, "LONG4 length"));
      if (n < 0) {
        throw Malformed("garbled pickle: negative LONG4 length" +
                        at_byte(m_at));
      }
      push(long_bytes(static_cast<std::uint64_t>(n)));
      return;
    }
    case 'F': { // FLOAT
      std::string line = m_src.line("FLOAT argument");
      char* end = nullptr;
      std::strtod(line.c_str(), &end);
      if (line.empty() || end != line.c_str() + line.size()) {
        throw Malformed("garbled pickle: the FLOAT argument" + at_byte(m_at) +
                        " is not a number");
      }
      push(m_number);
      return;
    }
    case 'G': // BINFLOAT
      m_src.skip(8, "BINFLOAT argument");
      push(m_number);
      return;

    // Strings and bytes.
    case 'S': // STRING
      push(make(Kind::string, quoted(m_src.line("STRING argument"))));
      return;
    case 'V': // UNICODE
      push(make(Kind::string, m_src.line("UNICODE argument")));
      return;
    case 'T': { // BINSTRING
      auto n = static_cast<std::int32_t>(m_src.le(4, "BINSTRING length"));
      if (n < 0) {
        throw Malformed("garbled pickle: negative BINSTRING length" +
                        at_byte(m_at));
      }
      push(string_of(static_cast<std::uint64_t>(n), "BINSTRING"));
      return;
    }
    case 'U': // SHORT_BINSTRING
      push(string_of(m_src.le(1, "SHORT_BINSTRING length"), "SHORT_BINSTRING"));
      return;
    case 'X': // BINUNICODE
      push(string_of(m_src.le(4, "BINUNICODE length"), "BINUNICODE"));
      return;
    case 0x8c: // SHORT_BINUNICODE
      push(string_of(m_src.le(1, "SHORT_BINUNICODE length"),
                     "SHORT_BINUNICODE"));
      return;
    case 0x8d: // BINUNICODE8
      push(string_of(m_src.le(8, "BINUNICODE8 length"), "BINUNICODE8"));
      return;
    case 'B': // BINBYTES
      push(string_of(m_src.le(4, "BINBYTES length"), "BINBYTES"));
      return;
    case 'C': // SHORT_BINBYTES
      push(string_of(m_src.le(1, "SHORT_BINBYTES length"), "SHORT_BINBYTES"));
      return;
    case 0x8e: // BINBYTES8
      push(string_of(m_src.le(8, "BINBYTES8 length"), "BINBYTES8"));
      return;
    case 0x96: // BYTEARRAY8
      m_src.skip(m_src.le(8, "BYTEARRAY8 length"), "BYTEARRAY8");
      push(m_opaque);
      return;
    case 0x97: // NEXT_BUFFER
      push(m_opaque);
      return;
    case 0x98: // READONLY_BUFFER
      top();
      return;

    // Containers.
    case ')': // EMPTY_TUPLE
      push(container(Kind::tuple, {}));
      return;
    case 't': // TUPLE
      push(container(Kind::tuple, pop_mark()));
      return;
    case 0x85:   // TUPLE1
    case 0x86:   // TUPLE2
    case 0x87: { // TUPLE3
      std::vector<Ref> items(op - 0x84);
      for (auto it = items.rbegin(); it != items.rend(); ++it) {
        *it = pop();
      }
      push(container(Kind::tuple, std::move(items)));
      return;
    }
    case ']': // EMPTY_LIST
      push(container(Kind::list, {}));
      return;
    case 'l': // LIST
      push(container(Kind::list, pop_mark()));
      return;
    case '}': // EMPTY_DICT
      push(container(Kind::dict, {}));
      return;
    case 'd': { // DICT
      auto items = pop_mark();
      if (items.size() % 2) {
        throw Malformed("garbled pickle: odd DICT" + at_byte(m_at));
      }
      push(container(Kind::dict, std::move(items)));
      return;
    }
    case 0x8f: // EMPTY_SET
      push(container(Kind::set, {}));
      return;
    case 0x91: // FROZENSET
      push(container(Kind::set, pop_mark()));
      return;
    case 'a': { // APPEND
      Ref v = pop();
      Ref& list = top();
      list = grown(list, {std::move(v)});
      return;
    }
    case 'e':    // APPENDS
    case 0x90: { // ADDITEMS
      auto items = pop_mark();
      Ref& c = top();
      c = grown(c, std::move(items));
      return;
    }
    case 's': { // SETITEM
      Ref v = pop();
      Ref k = pop();
      Ref& dict = top();
      dict = grown(dict, {std::move(k), std::move(v)});
      return;
    }
    case 'u': { // SETITEMS
      auto items = pop_mark();
      if (items.size() % 2) {
        throw Malformed("garbled pickle: odd SETITEMS" + at_byte(m_at));
      }
      Ref& dict = top();
      dict = grown(dict, std::move(items));
      return;
    }

    // Imports and calls.
    case 'c': { // GLOBAL
      std::string module = m_src.line("GLOBAL module", 1024);
      std::string name = m_src.line("GLOBAL name", 1024);
      push(global(std::move(module), std::move(name)));
      return;
    }
    case 0x93: { // STACK_GLOBAL
      Ref name = pop();
      Ref module = pop();
      if (module->kind == Kind::string && name->kind == Kind::string &&
          !module->truncated && !name->truncated) {
        push(global(module->text, name->text));
      } else if (module->kind == Kind::opaque || name->kind == Kind::opaque ||
                 module->kind == Kind::string || name->kind == Kind::string) {
        // Too much for the walk to follow: it cannot say what is imported.
        m_findings.add("(unresolved STACK_GLOBAL)", "unknown", m_where, m_at);
        push(m_opaque);
      } else {
        throw Malformed("garbled pickle: STACK_GLOBAL" + at_byte(m_at) +
                        " takes two strings");
      }
      return;
    }
    case 'i': { // INST
      std::string module = m_src.line("INST module", 1024);
      std::string name = m_src.line("INST name", 1024);
      Ref cls = global(std::move(module), std::move(name));
      Ref args = container(Kind::tuple, pop_mark());
      push(object(cls, args));
      return;
    }
    case 0x82:   // EXT1
    case 0x83:   // EXT2
    case 0x84: { // EXT4
      auto code = m_src.le(op == 0x82 ? 1 : op == 0x83 ? 2 : 4, "EXT argument");
      // The copyreg extension registry maps codes to names the walk
      // cannot know.
      m_findings.add("(copyreg extension " + std::to_string(code) + ")",
                     "unknown",
                     m_where,
                     m_at);
      push(m_opaque);
      return;
    }
    case 'o': { // OBJ
      auto items = pop_mark();
      if (items.empty()) {
        throw Malformed("garbled pickle: OBJ without a class" + at_byte(m_at));
      }
      Ref cls = items.front();
      items.erase(items.begin());
      push(object(cls, container(Kind::tuple, std::move(items))));
      return;
    }
    case 'R': { // REDUCE
      Ref args = pop();
      Ref callable = pop();
      push(object(callable, args));
      return;
    }
    case 0x81: { // NEWOBJ
      Ref args = pop();
      Ref cls = pop();
      push(object(cls, args));
      return;
    }
    case 0x92: { // NEWOBJ_EX
      pop();     // kwargs
      Ref args = pop();
      Ref cls = pop();
      push(object(cls, args));
      return;
    }
    case 'b': { // BUILD
      Ref state = pop();
      Ref obj = top();
      after_build(obj, state);
      return;
    }
    case 'P': // PERSID
      m_src.line("PERSID argument");
      push(m_opaque);
      return;
    case 'Q': // BINPERSID
      pop();
      push(m_opaque);
      return;
    default:
      break;
    }
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", op);
    throw Malformed(std::string("not a pickle or garbled: unknown opcode ") +
                    hex + at_byte(m_at) + ", the walk stopped there");
  }

  Ref
  integer_text(const std::string& line, const char* what)
  {
    std::string_view digits = line;
    bool negative = !digits.empty() && (digits[0] == '-' || digits[0] == '+');
    if (negative) {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (digits.empty() ||
        !std::all_of(digits.begin(), digits.end(), [](unsigned char c) {
          return std::isdigit(c);
        })) {
      throw Malformed(std::string("garbled pickle: the ") + what + " argument" +
                      at_byte(m_at) + " is not a number");
    }
    if (digits.size() > 18) {
      return make(Kind::big_integer);
    }
    auto v = static_cast<std::int64_t>(std::stoull(std::string(digits)));
    return make_int(negative ? -v : v);
  }

  Ref
  long_bytes(std::uint64_t n)
  {
    std::string bytes = m_src.text(n, "LONG argument", 16);
    if (n > 8) {
      return make(Kind::big_integer, std::move(bytes), {}, bytes.size() < n);
    }
    std::uint64_t v = 0;
    for (std::size_t i = bytes.size(); i-- > 0;) {
      v = (v << 8) | static_cast<unsigned char>(bytes[i]);
    }
    if (n > 0 && n < 8 && (static_cast<unsigned char>(bytes.back()) & 0x80)) {
      v -= 1ull << (8 * n); // two's complement
    }
    return make_int(static_cast<std::int64_t>(v));
  }

  Source& m_src;
  Findings& m_findings;
  std::string m_where;
  int m_depth;
  Budget m_budget; // declared before every value, destroyed after them
  Ref m_opaque, m_none, m_number, m_true, m_false;
  std::vector<Ref> m_stack;
  std::vector<std::size_t> m_marks;
  std::unordered_map<std::uint64_t, Ref> m_memo;
  std::uint64_t m_memo_size = 0;
  bool m_memo_dropped = false;
  std::uint64_t m_at = 0;
};

bool
starts_pickle(Source& src)
{
  return src.peek() == 0x80 && src.peek(1) >= 2 && src.peek(1) <= 5;
}

// Walk the pickles of `src` one after the other: a first one, then more
// as long as the bytes that follow start like a pickle (PROTO 2-5). What
// follows the last one is counted, not read.
void
walk_pickles(Source& src, Findings& f, const std::string& where)
{
  std::string in = where.empty() ? "" : " in " + where;
  try {
    Ref first = PickleWalker(src, f, where, 0).walk();
    ++f.pickles;
    if (where.empty() && first->kind == Kind::big_integer &&
        first->text == legacy_torch_magic) {
      // torch.save before 1.6: magic, protocol, system info, the object,
      // the storage keys, then raw storage bytes.
      f.legacy_torch = true;
      for (int i = 0; i < 4; ++i) {
        PickleWalker(src, f, where, 0).walk();
        ++f.pickles;
      }
      if (!src.at_end()) {
        f.notes.push_back(std::to_string(src.remaining()) +
                          " bytes of tensor storage follow the pickles");
      }
      return;
    }
    while (starts_pickle(src)) {
      PickleWalker(src, f, where, 0).walk();
      ++f.pickles;
    }
    if (!src.at_end()) {
      f.notes.push_back(std::to_string(src.remaining()) +
                        " bytes after the last pickle" + in +
                        " are not a pickle and were not inspected");
    }
  } catch (const Malformed& e) {
    f.stop(where, e.what());
  }
}

json
pickle_result(const Findings& f, const std::string& format)
{
  json out = {{"format", format},
              {"pickles", f.pickles},
              {"imports", f.imports},
              {"unsafe_imports", f.unsafe}};
  if (f.protocol >= 0) {
    out["protocol"] = f.protocol;
  }
  if (f.imports_truncated) {
    out["imports_truncated"] = true;
  }
  if (f.tensors) {
    out["tensors"] = f.tensors;
    if (f.shapes_known) {
      out["parameters"] = f.parameters;
    }
  }
  if (f.arrays) {
    out["arrays"] = f.arrays;
  }
  if (!f.notes.empty()) {
    out["notes"] = f.notes;
  }
  if (f.error) {
    out["error"] = *f.error;
  }
  out["verdict"] = f.dangerous                 ? "unsafe"
                   : f.unknown || f.incomplete ? "not verified"
                                               : "safe";
  return out;
}

// --- zip archives (PyTorch) -------------------------------------------------

struct ZipEntry
{
  std::string name;
  std::uint16_t flags = 0;
  std::uint16_t method = 0;
  std::uint64_t compressed = 0;
  std::uint64_t local_offset = 0;
};

std::optional<json>
scan_zip(int fd, std::uint64_t size)
{
  // The end of central directory record: in the last 64 KiB + 22 bytes.
  std::uint64_t tail = std::min<std::uint64_t>(size, 65535 + 22);
  Source end(fd, size - tail, size);
  std::string bytes = end.text(tail, "zip end", tail);
  std::size_t eocd = std::string::npos;
  for (std::size_t i = bytes.size() >= 22 ? bytes.size() - 22 + 1 : 0;
       i-- > 0;) {
    if (bytes.compare(i, 4, "PK\x05\x06") == 0) {
      eocd = i;
      break;
    }
  }
  json out = {{"format", "zip"}};
  auto fail = [&](const std::string& message) {
    out["error"] = "malformed zip archive: " + message;
    out["verdict"] = "not verified";
    return out;
  };
  if (eocd == std::string::npos) {
    return fail("no end of central directory record");
  }
  auto u = [&](std::size_t at, int n) {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) {
      v = (v << 8) |
          static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
    }
    return v;
  };
  std::uint64_t eocd_at = size - tail + eocd;
  std::uint64_t count = u(eocd + 10, 2);
  std::uint64_t cd_size = u(eocd + 12, 4);
  std::uint64_t cd_offset = u(eocd + 16, 4);
  try {
    if ((count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) &&
        eocd_at >= 20) {
      // Zip64: a locator just before points at the real record.
      Source loc(fd, eocd_at - 20, eocd_at);
      if (loc.le(4, "zip64 locator") == 0x07064b50) {
        loc.skip(4, "zip64 locator");
        std::uint64_t rec = loc.le(8, "zip64 locator");
        if (rec > eocd_at) {
          return fail("zip64 record" + at_byte(rec) + " is past the end");
        }
        Source z(fd, rec, eocd_at);
        if (z.le(4, "zip64 record") != 0x06064b50) {
          return fail("no zip64 end of central directory record");
        }
        z.skip(8 + 2 + 2 + 4 + 4 + 8, "zip64 record");
        count = z.le(8, "zip64 record");
        cd_size = z.le(8, "zip64 record");
        cd_offset = z.le(8, "zip64 record");
      }
    }
    if (cd_offset > eocd_at || cd_size > eocd_at - cd_offset) {
      return fail("the central directory" + at_byte(cd_offset) +
                  " is past the end of the file");
    }
    // Walk the central directory, keeping only the pickles.
    Source cd(fd, cd_offset, cd_offset + cd_size);
    std::uint64_t entries = 0;
    std::vector<ZipEntry> pickles;
    bool torch = false, more_pickles = false;
    while (!cd.at_end() && entries < count) {
      if ((entries & 0xFFFF) == 0) {
        util::throw_if_interrupted();
      }
      if (cd.le(4, "central directory entry") != 0x02014b50) {
        return fail("bad central directory entry" +
                    at_byte(cd_offset + cd.offset() - 4));
      }
      ZipEntry e;
      cd.skip(4, "central directory entry");
      e.flags = static_cast<std::uint16_t>(cd.le(2, "central directory entry"));
      e.method =
          static_cast<std::uint16_t>(cd.le(2, "central directory entry"));
      cd.skip(8, "central directory entry");
      e.compressed = cd.le(4, "central directory entry");
      std::uint64_t uncompressed = cd.le(4, "central directory entry");
      auto name_len = cd.le(2, "central directory entry");
      auto extra_len = cd.le(2, "central directory entry");
      auto comment_len = cd.le(2, "central directory entry");
      cd.skip(8, "central directory entry");
      e.local_offset = cd.le(4, "central directory entry");
      e.name = cd.text(name_len, "entry name", 65535);
      // A zip64 extra field holds the sizes and offset too large for
      // the fields above, in this order, for those that are 0xFFFFFFFF.
      std::uint64_t extra_end = cd.offset() + extra_len;
      cd.need(extra_len, "extra field");
      while (cd.offset() + 4 <= extra_end) {
        auto id = cd.le(2, "extra field");
        auto len = cd.le(2, "extra field");
        if (cd.offset() + len > extra_end) {
          break;
        }
        std::uint64_t field_end = cd.offset() + len;
        if (id == 1) {
          for (std::uint64_t* v :
               {&uncompressed, &e.compressed, &e.local_offset}) {
            if (*v == 0xFFFFFFFF && cd.offset() + 8 <= field_end) {
              *v = cd.le(8, "zip64 extra field");
            }
          }
        }
        cd.skip(field_end - cd.offset(), "extra field");
      }
      cd.skip(extra_end - cd.offset(), "extra field");
      cd.skip(comment_len, "entry comment");
      ++entries;
      std::string_view n = e.name;
      if (n.ends_with("/data.pkl") || n == "data.pkl") {
        torch = true;
      }
      if (n.ends_with(".pkl") || n.ends_with(".pickle")) {
        if (pickles.size() < max_zip_pickles) {
          pickles.push_back(std::move(e));
        } else {
          more_pickles = true;
        }
      }
    }
    if (pickles.empty()) {
      return std::nullopt;
    }
    Findings f;
    json names = json::array();
    for (const auto& e : pickles) {
      names.push_back(valid_utf8(e.name));
      if (e.flags & 1) {
        f.incomplete = true;
        f.notes.push_back("encrypted entry '" + valid_utf8(e.name) +
                          "' not inspected");
        continue;
      }
      if (e.method != 0) {
        f.incomplete = true;
        f.notes.push_back("compressed entry '" + valid_utf8(e.name) +
                          "' (method " + std::to_string(e.method) +
                          ") not inspected");
        continue;
      }
      if (e.local_offset > size || size - e.local_offset < 30) {
        f.stop(e.name,
               "its local header" + at_byte(e.local_offset) +
                   " is past the end of the file");
        continue;
      }
      Source local(fd, e.local_offset, size);
      if (local.le(4, "local header") != 0x04034b50) {
        f.stop(e.name, "no local header" + at_byte(e.local_offset));
        continue;
      }
      local.skip(22, "local header");
      auto name_len = local.le(2, "local header");
      auto extra_len = local.le(2, "local header");
      std::uint64_t data = e.local_offset + 30 + name_len + extra_len;
      if (data > size || e.compressed > size - data) {
        f.stop(e.name, "its data goes past the end of the file");
        continue;
      }
      Source body(fd, data, data + e.compressed);
      walk_pickles(body, f, e.name);
    }
    if (more_pickles) {
      f.incomplete = true;
      f.notes.push_back("only the first " + std::to_string(max_zip_pickles) +
                        " pickles were inspected");
    }
    out = pickle_result(f, torch ? "pytorch-zip" : "zip");
    out["entries"] = entries;
    out["pickle_entries"] = std::move(names);
    return out;
  } catch (const Malformed& e) {
    return fail(e.what());
  }
}

// --- safetensors ----------------------------------------------------------

std::uint64_t
safetensors_dtype_size(const std::string& dtype)
{
  static const std::pair<const char*, std::uint64_t> sizes[] = {{"BOOL", 1},
                                                                {"U8", 1},
                                                                {"I8", 1},
                                                                {"F8_E5M2", 1},
                                                                {"F8_E4M3", 1},
                                                                {"I16", 2},
                                                                {"U16", 2},
                                                                {"F16", 2},
                                                                {"BF16", 2},
                                                                {"I32", 4},
                                                                {"U32", 4},
                                                                {"F32", 4},
                                                                {"F64", 8},
                                                                {"I64", 8},
                                                                {"U64", 8},
                                                                {"C64", 8},
                                                                {"F8_E8M0", 1}};
  for (const auto& [name, size] : sizes) {
    if (dtype == name) {
      return size;
    }
  }
  return 0;
}

// Reads the JSON header as SAX events, keeping what is needed and
// refusing anything nested deeper than the format allows.
class SafetensorsHeader
{
public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit SafetensorsHeader(std::uint64_t data_size) : m_data_size(data_size)
  {}

  std::optional<std::string> error;
  std::uint64_t tensor_count = 0;
  std::uint64_t parameters = 0;
  json tensors = json::array();
  json dtypes = json::object();
  json metadata = json::object();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;

  bool
  null()
  {
    return scalar("null");
  }
  bool
  boolean(bool)
  {
    return scalar("a boolean");
  }
  bool
  number_integer(number_integer_t v)
  {
    if (m_depth == 3 && v >= 0) {
      return number_unsigned(static_cast<number_unsigned_t>(v));
    }
    return scalar("a negative number");
  }
  bool
  number_unsigned(number_unsigned_t v)
  {
    if (m_depth == 3) {
      if (m_numbers.size() >= 64) {
        return fail("tensor '" + m_tensor + "' has too many dimensions");
      }
      m_numbers.push_back(v);
      return true;
    }
    return scalar("a number");
  }
  bool
  number_float(number_float_t, const string_t&)
  {
    return scalar("a fraction");
  }
  bool
  binary(binary_t&)
  {
    return scalar("binary");
  }
  bool
  string(string_t& s)
  {
    if (m_depth == 2 && m_in_metadata) {
      if (metadata.size() < max_listed_keys) {
        std::string v = s.size() > 1024 ? s.substr(0, 1024) : s;
        metadata[valid_utf8(m_key)] = valid_utf8(v);
      }
      return true;
    }
    if (m_depth == 2 && m_key == "dtype") {
      m_dtype = s;
      m_has_dtype = true;
      return true;
    }
    return scalar("a string");
  }
  bool
  start_object(std::size_t)
  {
    if (m_depth == 1 && !m_in_metadata) {
      m_dtype.clear();
      m_has_dtype = false;
      m_shape.reset();
      m_offsets.reset();
    }
    if (m_depth >= 2) {
      return fail("unexpected object in '" + m_tensor + "'");
    }
    ++m_depth;
    return true;
  }
  bool
  key(string_t& k)
  {
    if (m_depth == 1) {
      m_tensor = k;
      m_in_metadata = k == "__metadata__";
    } else {
      m_key = k;
    }
    return true;
  }
  bool
  end_object()
  {
    --m_depth;
    if (m_depth == 1 && !m_in_metadata) {
      return end_tensor();
    }
    if (m_depth == 1) {
      m_in_metadata = false;
    }
    return true;
  }
  bool
  start_array(std::size_t)
  {
    if (m_depth == 0) {
      return fail("the header is not a JSON object");
    }
    if (m_depth != 2 || m_in_metadata ||
        (m_key != "shape" && m_key != "data_offsets")) {
      return fail("unexpected array in '" + m_tensor + "'");
    }
    m_numbers.clear();
    ++m_depth;
    return true;
  }
  bool
  end_array()
  {
    --m_depth;
    if (m_key == "shape") {
      m_shape = m_numbers;
    } else {
      m_offsets = m_numbers;
    }
    return true;
  }
  bool
  parse_error(std::size_t,
              const std::string&,
              const nlohmann::detail::exception& e)
  {
    if (!error) {
      // nlohmann's messages start "[json.exception.parse_error.101] ".
      std::string what = e.what();
      auto space = what.find("] ");
      // It quotes the bytes it read, which need not be UTF-8.
      error = valid_utf8(
          "the header is not valid JSON: " +
          (space == std::string::npos ? what : what.substr(space + 2)));
    }
    return false;
  }

private:
  bool
  fail(const std::string& message)
  {
    if (!error) {
      error = valid_utf8(message);
    }
    return false;
  }

  bool
  scalar(const char* what)
  {
    if (m_depth == 0) {
      return fail("the header is not a JSON object");
    }
    if (m_depth == 1) {
      return fail("entry '" + m_tensor + "' is " + what + ", not an object");
    }
    if (m_in_metadata) {
      return fail("__metadata__ value '" + m_key + "' is not a string");
    }
    if (m_depth == 2 && m_key != "dtype" && m_key != "shape" &&
        m_key != "data_offsets") {
      return true; // a field the format does not define
    }
    return fail("tensor '" + m_tensor + "' has " + what + " in '" + m_key +
                "'");
  }

  bool
  end_tensor()
  {
    if (!m_has_dtype || !m_shape || !m_offsets) {
      return fail("tensor '" + m_tensor +
                  "' lacks dtype, shape or data_offsets");
    }
    if (m_offsets->size() != 2) {
      return fail("tensor '" + m_tensor + "' has " +
                  std::to_string(m_offsets->size()) + " data_offsets, not 2");
    }
    auto [begin, end] = std::pair((*m_offsets)[0], (*m_offsets)[1]);
    if (begin > end || end > m_data_size) {
      return fail("tensor '" + m_tensor + "' has data_offsets [" +
                  std::to_string(begin) + ", " + std::to_string(end) +
                  "] outside the " + std::to_string(m_data_size) +
                  " bytes of data");
    }
    std::uint64_t n = 1;
    for (auto d : *m_shape) {
      if (mul_overflows(n, d, n)) {
        return fail("tensor '" + m_tensor + "' has a shape too large to count");
      }
    }
    std::uint64_t item = safetensors_dtype_size(m_dtype);
    std::uint64_t bytes = 0;
    if (item && (mul_overflows(n, item, bytes) || bytes != end - begin)) {
      return fail("tensor '" + m_tensor + "' of " + std::to_string(n) + " " +
                  m_dtype + " values has " + std::to_string(end - begin) +
                  " bytes of data");
    }
    if (__builtin_add_overflow(parameters, n, &parameters)) {
      return fail("the parameter count overflows");
    }
    ++tensor_count;
    std::string dtype = valid_utf8(m_dtype);
    dtypes[dtype] = dtypes.value(dtype, 0) + 1;
    if (tensors.size() < max_listed_tensors) {
      tensors.push_back({{"name", valid_utf8(m_tensor)},
                         {"dtype", dtype},
                         {"shape", *m_shape}});
    }
    ranges.emplace_back(begin, end);
    return true;
  }

  std::uint64_t m_data_size;
  int m_depth = 0;
  bool m_in_metadata = false;
  std::string m_tensor, m_key, m_dtype;
  bool m_has_dtype = false;
  std::vector<std::uint64_t> m_numbers;
  std::optional<std::vector<std::uint64_t>> m_shape, m_offsets;
};

json
scan_safetensors(int fd, std::uint64_t size)
{
  json out = {{"format", "safetensors"}};
  auto fail = [&](const std::string& message) {
    out["error"] = "malformed safetensors file: " + message;
    out["verdict"] = "not verified";
    return out;
  };
  if (size < 8) {
    return fail("shorter than its 8-byte header length");
  }
  Source src(fd, 0, size);
  std::uint64_t n = src.le(8, "header length");
  if (n > size - 8) {
    return fail("the header length " + std::to_string(n) +
                " goes past the end of the file (" + std::to_string(size) +
                " bytes)");
  }
  if (n > max_safetensors_header) {
    return fail("the header of " + std::to_string(n) +
                " bytes is larger than mlake inspects (16 MiB)");
  }
  std::string text = src.text(n, "header", n);
  SafetensorsHeader header(size - 8 - n);
  json::sax_parse(text, &header, json::input_format_t::json, true);
  if (header.error) {
    return fail(*header.error);
  }
  // The tensors' data must cover the data section, without holes or
  // overlaps, as the safetensors loader requires.
  auto& ranges = header.ranges;
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t covered = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin != covered) {
      return fail(std::string(begin < covered ? "tensor data overlaps"
                                              : "a hole in the tensor data") +
                  " at data byte " + std::to_string(std::min(begin, covered)));
    }
    covered = end;
  }
  if (covered != size - 8 - n) {
    return fail("the tensors' data ends at data byte " +
                std::to_string(covered) + ", the file at " +
                std::to_string(size - 8 - n));
  }
  out["header_bytes"] = n;
  out["tensor_count"] = header.tensor_count;
  out["parameters"] = header.parameters;
  out["dtypes"] = std::move(header.dtypes);
  out["tensors"] = std::move(header.tensors);
  if (header.tensor_count > max_listed_tensors) {
    out["tensors_truncated"] = true;
  }
  if (!header.metadata.empty()) {
    out["metadata"] = std::move(header.metadata);
  }
  out["verdict"] = "safe";
  return out;
}

// --- GGUF -----------------------------------------------------------------

const char*
gguf_type_name(std::uint64_t type)
{
  static const char* names[] = {"uint8",
                                "int8",
                                "uint16",
                                "int16",
                                "uint32",
                                "int32",
                                "float32",
                                "bool",
                                "string",
                                "array",
                                "uint64",
                                "int64",
                                "float64"};
  return type < std::size(names) ? names[type] : nullptr;
}

std::uint64_t
gguf_scalar_size(std::uint64_t type)
{
  static const std::uint64_t sizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
  return type < std::size(sizes) ? sizes[type] : 0;
}

// A ggml tensor type: its name, elements per block and bytes per block
// (0 where mlake does not check the size).
struct GgmlType
{
  const char* name;
  std::uint64_t block, bytes;
};

GgmlType
ggml_type(std::uint64_t type)
{
  static const GgmlType types[] = {
      {"F32", 1, 4},      {"F16", 1, 2},      {"Q4_0", 32, 18},
      {"Q4_1", 32, 20},   {nullptr, 0, 0},    {nullptr, 0, 0},
      {"Q5_0", 32, 22},   {"Q5_1", 32, 24},   {"Q8_0", 32, 34},
      {"Q8_1", 32, 36},   {"Q2_K", 256, 84},  {"Q3_K", 256, 110},
      {"Q4_K", 256, 144}, {"Q5_K", 256, 176}, {"Q6_K", 256, 210},
      {"Q8_K", 256, 292}, {"IQ2_XXS", 0, 0},  {"IQ2_XS", 0, 0},
      {"IQ3_XXS", 0, 0},  {"IQ1_S", 0, 0},    {"IQ4_NL", 0, 0},
      {"IQ3_S", 0, 0},    {"IQ2_S", 0, 0},    {"IQ4_XS", 0, 0},
      {"I8", 1, 1},       {"I16", 1, 2},      {"I32", 1, 4},
      {"I64", 1, 8},      {"F64", 1, 8},      {"IQ1_M", 0, 0},
      {"BF16", 1, 2},     {nullptr, 0, 0},    {nullptr, 0, 0},
      {nullptr, 0, 0},    {"TQ1_0", 0, 0},    {"TQ2_0", 0, 0}};
  return type < std::size(types) ? types[type] : GgmlType{nullptr, 0, 0};
}

class GgufReader
{
public:
  GgufReader(Source& src, int version) : m_src(src), m_version(version) {}

  std::uint64_t
  count(const char* what)
  {
    return m_src.le(m_version == 1 ? 4 : 8, what);
  }

  // A string, of which the first `keep` bytes are returned.
  std::string
  string(const char* what, std::size_t keep = max_kept_text)
  {
    std::uint64_t n = count(what);
    std::string s = m_src.text(n, what, keep);
    m_truncated = s.size() < n;
    return s;
  }

  // Skip or keep one value of `type`; nested arrays `depth` deep.
  json
  value(std::uint64_t type, int depth = 0)
  {
    if (type == 8) {
      std::string s = string("metadata string");
      return m_truncated ? json() : json(valid_utf8(s));
    }
    if (type == 9) {
      if (depth >= 4) {
        throw Malformed("metadata arrays nested too deep" +
                        at_byte(m_src.offset()));
      }
      std::uint64_t elem = m_src.le(4, "array type");
      std::uint64_t n = count("array length");
      const char* name = gguf_type_name(elem);
      if (!name) {
        throw Malformed("unknown metadata value type " + std::to_string(elem) +
                        at_byte(m_src.offset()));
      }
      if (std::uint64_t size = gguf_scalar_size(elem)) {
        std::uint64_t bytes = 0;
        if (mul_overflows(n, size, bytes)) {
          bytes = std::numeric_limits<std::uint64_t>::max();
        }
        m_src.skip(bytes, "metadata array");
      } else {
        // Each string or array takes at least its 8-byte length.
        if (n > m_src.remaining() / (m_version == 1 ? 4 : 8)) {
          throw Malformed("truncated: an array of " + std::to_string(n) + " " +
                          name + " values" + at_byte(m_src.offset()) +
                          " cannot fit in the " +
                          std::to_string(m_src.remaining()) + " bytes left");
        }
        for (std::uint64_t i = 0; i < n; ++i) {
          if ((i & 0xFFFF) == 0) {
            util::throw_if_interrupted();
          }
          value(elem, depth + 1);
        }
      }
      return "array[" + std::string(name) + "; " + std::to_string(n) + "]";
    }
    std::uint64_t size = gguf_scalar_size(type);
    if (!size) {
      throw Malformed("unknown metadata value type " + std::to_string(type) +
                      at_byte(m_src.offset()));
    }
    std::uint64_t raw = m_src.le(static_cast<int>(size), "metadata value");
    switch (type) {
    case 1:
      return static_cast<std::int8_t>(raw);
    case 3:
      return static_cast<std::int16_t>(raw);
    case 5:
      return static_cast<std::int32_t>(raw);
    case 11:
      return static_cast<std::int64_t>(raw);
    case 6: {
      float f;
      auto r = static_cast<std::uint32_t>(raw);
      std::memcpy(&f, &r, 4);
      return std::isfinite(f) ? json(f) : json();
    }
    case 12: {
      double d;
      std::memcpy(&d, &raw, 8);
      return std::isfinite(d) ? json(d) : json();
    }
    case 7:
      return raw != 0;
    default:
      return raw;
    }
  }

private:
  Source& m_src;
  int m_version;
  bool m_truncated = false;
};

json
scan_gguf(int fd, std::uint64_t size)
{
  json out = {{"format", "gguf"}};
  Source src(fd, 0, size);
  try {
    char magic[4];
    src.read(magic, 4, "magic");
    if (std::memcmp(magic, "GGUF", 4) != 0) {
      throw Malformed("no GGUF magic");
    }
    auto version = static_cast<int>(src.le(4, "version"));
    out["version"] = version;
    if (version < 1 || version > 3) {
      throw Malformed("unsupported GGUF version " + std::to_string(version));
    }
    GgufReader r(src, version);
    std::uint64_t tensor_count = r.count("tensor count");
    std::uint64_t kv_count = r.count("metadata count");
    out["tensor_count"] = tensor_count;
    out["metadata_count"] = kv_count;
    // The smallest key/value takes 13 bytes (9 in version 1), the
    // smallest tensor info 24 (20): a count that cannot fit is refused
    // before anything is read.
    const std::uint64_t kv_min = version == 1 ? 9 : 13;
    const std::uint64_t tensor_min = version == 1 ? 20 : 24;
    if (kv_count > src.remaining() / kv_min ||
        tensor_count >
            (src.remaining() - std::min(src.remaining(), kv_count * kv_min)) /
                tensor_min) {
      throw Malformed("declares " + std::to_string(kv_count) +
                      " metadata entries and " + std::to_string(tensor_count) +
                      " tensors, more than its " + std::to_string(size) +
                      " bytes can hold");
    }
    json keys = json::array();
    json metadata = json::object();
    std::uint64_t alignment = 32;
    for (std::uint64_t i = 0; i < kv_count; ++i) {
      util::throw_if_interrupted();
      std::string key = valid_utf8(r.string("metadata key", 1024));
      std::uint64_t type = src.le(4, "metadata type");
      json v = r.value(type);
      if (key == "general.alignment") {
        if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0 ||
            (v.get<std::uint64_t>() & (v.get<std::uint64_t>() - 1)) ||
            v.get<std::uint64_t>() > (1u << 20)) {
          throw Malformed("general.alignment is not a power of two");
        }
        alignment = v.get<std::uint64_t>();
      }
      if (keys.size() < max_listed_keys) {
        keys.push_back(key);
        if (!v.is_null()) {
          metadata[key] = std::move(v);
        }
      }
    }
    out["metadata_keys"] = std::move(keys);
    out["metadata"] = std::move(metadata);
    if (kv_count > max_listed_keys) {
      out["metadata_keys_truncated"] = true;
    }
    struct Placed
    {
      std::string name;
      std::uint64_t offset, bytes;
    };
    std::vector<Placed> placed; // of the listed tensors only
    json tensors = json::array();
    std::uint64_t parameters = 0;
    bool counted = true;
    for (std::uint64_t i = 0; i < tensor_count; ++i) {
      if ((i & 0xFFF) == 0) {
        util::throw_if_interrupted();
      }
      std::string name = valid_utf8(r.string("tensor name", 1024));
      std::uint64_t dims = src.le(4, "tensor dimensions");
      if (dims > 8) {
        throw Malformed("tensor '" + name + "' has " + std::to_string(dims) +
                        " dimensions");
      }
      json shape = json::array();
      std::uint64_t n = 1;
      for (std::uint64_t d = 0; d < dims; ++d) {
        std::uint64_t dim = r.count("tensor dimension"); // u32 in v1
        shape.push_back(dim);
        if (mul_overflows(n, dim, n)) {
          throw Malformed("tensor '" + name +
                          "' has a shape too large to count");
        }
      }
      std::uint64_t type = src.le(4, "tensor type");
      std::uint64_t offset = src.le(8, "tensor offset");
      GgmlType t = ggml_type(type);
      if (__builtin_add_overflow(parameters, n, &parameters)) {
        counted = false;
      }
      std::uint64_t bytes = 0;
      if (t.bytes && n % t.block == 0) {
        mul_overflows(n / t.block, t.bytes, bytes);
      }
      if (tensors.size() < max_listed_tensors) {
        tensors.push_back({{"name", name},
                           {"type", t.name ? json(t.name) : json(type)},
                           {"shape", std::move(shape)}});
        placed.push_back({name, offset, bytes});
      }
    }
    std::uint64_t data = (src.offset() + alignment - 1) / alignment * alignment;
    if (data > size) {
      throw Malformed("the tensor data would start past the end of the file");
    }
    for (const auto& p : placed) {
      if (p.offset > size - data || p.bytes > size - data - p.offset) {
        throw Malformed("tensor '" + p.name + "' at data offset " +
                        std::to_string(p.offset) +
                        " goes past the end of the file");
      }
    }
    if (counted) {
      out["parameters"] = parameters;
    }
    out["tensors"] = std::move(tensors);
    if (tensor_count > max_listed_tensors) {
      out["tensors_truncated"] = true;
    }
    out["verdict"] = "safe";
  } catch (const Malformed& e) {
    out["error"] = std::string("malformed GGUF file: ") + e.what();
    out["verdict"] = "not verified";
  }
  return out;
}

// --- telling the format ----------------------------------------------------

std::string
extension_of(const std::string& name)
{
  std::string ext = fs::path(name).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return ext;
}

// Whether `bytes` from `at` start a protocol 0 GLOBAL: "cmodule\nname\n".
bool
looks_like_global(std::string_view bytes, std::size_t at)
{
  if (at >= bytes.size() || bytes[at] != 'c') {
    return false;
  }
  int lines = 0;
  std::size_t length = 0;
  for (std::size_t i = at + 1; i < bytes.size() && lines < 2; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\n') {
      if (length == 0) {
        return false;
      }
      ++lines;
      length = 0;
    } else if (std::isalnum(c) || c == '_' || c == '.') {
      ++length;
    } else {
      return false;
    }
  }
  return lines == 2;
}

// Every string of `j`, keys too, as valid UTF-8: what a file holds ends up
// in messages and names, and a node must be valid JSON whatever it held.
json
valid_strings(const json& j)
{
  if (j.is_string()) {
    return valid_utf8(j.get<std::string>());
  }
  if (j.is_array()) {
    json out = json::array();
    for (const auto& item : j) {
      out.push_back(valid_strings(item));
    }
    return out;
  }
  if (j.is_object()) {
    json out = json::object();
    for (const auto& [key, value] : j.items()) {
      out[valid_utf8(key)] = valid_strings(value);
    }
    return out;
  }
  return j;
}

} // namespace

std::string
import_severity(const std::string& module, const std::string& name)
{
  static const std::set<std::string> safe = {
      "collections.OrderedDict",
      "collections.defaultdict",
      "collections.Counter",
      "collections.deque",
      "builtins.set",
      "builtins.frozenset",
      "builtins.dict",
      "builtins.list",
      "builtins.tuple",
      "builtins.bytearray",
      "builtins.bytes",
      "builtins.complex",
      "builtins.slice",
      "builtins.range",
      "builtins.int",
      "builtins.float",
      "builtins.str",
      "builtins.bool",
      "builtins.object",
      "copyreg._reconstructor",
      "_codecs.encode",
      "torch._utils._rebuild_tensor",
      "torch._utils._rebuild_tensor_v2",
      "torch._utils._rebuild_parameter",
      "torch._utils._rebuild_parameter_with_state",
      "torch._tensor._rebuild_from_type_v2",
      "torch.Size",
      "torch.device",
      "torch.Tensor",
      "torch.nn.parameter.Parameter",
      "torch.storage.UntypedStorage",
      "torch.storage.TypedStorage",
      "torch.float64",
      "torch.float32",
      "torch.float16",
      "torch.bfloat16",
      "torch.int64",
      "torch.int32",
      "torch.int16",
      "torch.int8",
      "torch.uint8",
      "torch.bool",
      "torch.complex64",
      "torch.complex128",
      "numpy.core.multiarray._reconstruct",
      "numpy._core.multiarray._reconstruct",
      "numpy.core.multiarray.scalar",
      "numpy._core.multiarray.scalar",
      "numpy.dtype",
      "numpy.ndarray",
      "joblib.numpy_pickle.NumpyArrayWrapper",
  };
  // Modules any name of which runs commands, code or I/O when imported
  // or called.
  static const char* dangerous_modules[] = {"os",
                                            "posix",
                                            "nt",
                                            "subprocess",
                                            "sys",
                                            "socket",
                                            "shutil",
                                            "runpy",
                                            "pty",
                                            "importlib",
                                            "webbrowser",
                                            "ctypes",
                                            "multiprocessing",
                                            "commands",
                                            "pdb",
                                            "bdb",
                                            "timeit",
                                            "code",
                                            "codeop",
                                            "signal",
                                            "asyncio",
                                            "pickle",
                                            "_pickle",
                                            "cPickle",
                                            "marshal",
                                            "dill",
                                            "cloudpickle",
                                            "shelve",
                                            "httplib",
                                            "http",
                                            "urllib",
                                            "urllib2",
                                            "requests",
                                            "ftplib",
                                            "telnetlib",
                                            "smtplib",
                                            "_posixsubprocess",
                                            "pip",
                                            "setuptools"};
  static const std::set<std::string> dangerous_names = {
      "builtins.eval",
      "builtins.exec",
      "builtins.execfile",
      "builtins.compile",
      "builtins.open",
      "builtins.getattr",
      "builtins.setattr",
      "builtins.delattr",
      "builtins.__import__",
      "builtins.breakpoint",
      "builtins.input",
      "builtins.globals",
      "builtins.locals",
      "builtins.vars",
      "builtins.apply",
      "builtins.file",
      "builtins.reload",
      "operator.attrgetter",
      "operator.methodcaller",
      "types.CodeType",
      "types.FunctionType",
      "types.LambdaType",
      "torch.load",
      "torch.storage._load_from_bytes",
      "torch.serialization.load",
      "numpy.load",
      "numpy.loads",
      "numpy.testing._private.utils.runstring",
      "pandas.read_pickle",
      "io.open",
      "_io.open",
      "codecs.open",
      "platform.popen",
  };
  std::string m = module == "__builtin__" ? "builtins"
                  : module == "copy_reg"  ? "copyreg"
                                          : module;
  std::string full = m + "." + name;
  if (safe.count(full)) {
    return "safe";
  }
  if (m == "torch" && name.ends_with("Storage") &&
      name.find('.') == std::string::npos) {
    return "safe";
  }
  if (dangerous_names.count(full)) {
    return "dangerous";
  }
  for (const char* root : dangerous_modules) {
    if (in_module(m, root)) {
      return "dangerous";
    }
  }
  // A dotted name walks attributes: through a dunder it reaches anything.
  if (name.find("__") != std::string::npos &&
      name.find('.') != std::string::npos) {
    return "dangerous";
  }
  return "unknown";
}

namespace {

std::optional<json>
scan(const fs::path& path, const ModelScanOptions& options)
{
  const std::string name = options.name.empty() ? path.string() : options.name;
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    throw Error(Exit::not_found,
                "cannot read " + quote(name) + ": " + util::errno_text(errno));
  }
  auto st = util::stat_path(path);
  if (!st || !st->is_regular()) {
    return std::nullopt;
  }
  const std::uint64_t size = st->size;
  Source head_src(fd.get(), 0, size);
  std::string head =
      head_src.text(std::min<std::uint64_t>(size, 512), "start", 512);
  const std::string ext = extension_of(name);
  const bool is_pickle_ext = ext == ".pkl" || ext == ".pickle" ||
                             ext == ".joblib" || ext == ".pt" ||
                             ext == ".pth" || ext == ".ckpt";

  try {
    if (head.starts_with("GGUF")) {
      return scan_gguf(fd.get(), size);
    }
    if (head.starts_with("PK\x03\x04") || head.starts_with("PK\x05\x06")) {
      return scan_zip(fd.get(), size);
    }
    auto pickle_file = [&](const char* format) {
      Findings f;
      Source src(fd.get(), 0, size);
      walk_pickles(src, f, "");
      std::string fmt = format;
      if (f.legacy_torch) {
        fmt = "pytorch-legacy";
      } else if (f.joblib) {
        fmt = "joblib";
      }
      return pickle_result(f, fmt);
    };
    if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x80 &&
        head[1] >= 2 && head[1] <= 5) {
      return pickle_file(ext == ".joblib" ? "joblib" : "pickle");
    }
    if (head.size() >= 9 && head[8] == '{') {
      std::uint64_t n = 0;
      for (int i = 7; i >= 0; --i) {
        n = (n << 8) |
            static_cast<unsigned char>(head[static_cast<std::size_t>(i)]);
      }
      if (n >= 2 && n <= size - 8) {
        return scan_safetensors(fd.get(), size);
      }
    }
    if (looks_like_global(head, 0) ||
        (!head.empty() && head[0] == '(' && looks_like_global(head, 1))) {
      // Protocol 0 by its bytes alone: a text file whose first lines are
      // single words looks the same. It is a pickle if it walks as one,
      // or if it would import something dangerous before it breaks.
      json result = pickle_file("pickle");
      if (!result.contains("error") || result["verdict"] == "unsafe" ||
          is_pickle_ext) {
        return result;
      }
    }
    // Then by extension: files that claim a format they do not have.
    if (ext == ".safetensors") {
      return scan_safetensors(fd.get(), size);
    }
    if (ext == ".gguf") {
      return scan_gguf(fd.get(), size);
    }
    if (ext == ".joblib" && !head.empty() &&
        (head.starts_with("\x78") || head.starts_with("\x1f\x8b") ||
         head.starts_with("\xfd"
                          "7zXZ") ||
         head.starts_with("\x04\x22\x4d\x18") || head.starts_with("ZF"))) {
      return json{{"format", "joblib"},
                  {"error", "compressed joblib file: not inspected"},
                  {"verdict", "not verified"}};
    }
    if (is_pickle_ext) {
      // Protocols 0 and 1 have no magic bytes: walk it and see.
      return pickle_file(ext == ".joblib" ? "joblib" : "pickle");
    }
  } catch (const Malformed& e) {
    return json{{"error", e.what()}, {"verdict", "not verified"}};
  }
  return std::nullopt;
}

} // namespace

std::optional<json>
scan_model(const fs::path& path, const ModelScanOptions& options)
{
  auto result = scan(path, options);
  if (result) {
    *result = valid_strings(*result);
  }
  return result;
}

} // namespace mlake::data
