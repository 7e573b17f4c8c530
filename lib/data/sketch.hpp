#pragma once

// Bounded-memory summaries of a stream of values, for metafeatures: a fast
// 64-bit hash, an exact set of hashes, a HyperLogLog and a counter of the
// most frequent values. Values are known by their 64-bit hash: two
// different values share one with a probability of about n^2 / 2^65
// (1e-10 for 65,536 values), far below any error that matters here.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace mlake::data::sketch {

namespace detail {

inline std::uint64_t
mix(std::uint64_t a, std::uint64_t b)
{
  unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

inline std::uint64_t
read8(const unsigned char* p)
{
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline std::uint64_t
read4(const unsigned char* p)
{
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

} // namespace detail

// wyhash (public domain, by Wang Yi): a few multiplications for a short
// field, and well enough distributed for HyperLogLog, which reads its
// leading bits.
inline std::uint64_t
hash(std::string_view text)
{
  using detail::mix;
  using detail::read4;
  using detail::read8;
  constexpr std::uint64_t s0 = 0xa0761d6478bd642full;
  constexpr std::uint64_t s1 = 0xe7037ed1a0b428dbull;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t len = text.size();
  std::uint64_t seed = mix(s0, s1);
  std::uint64_t a;
  std::uint64_t b;
  if (len <= 16) {
    if (len >= 4) {
      const std::size_t mid = (len >> 3) << 2;
      a = (read4(p) << 32) | read4(p + mid);
      b = (read4(p + len - 4) << 32) | read4(p + len - 4 - mid);
    } else if (len > 0) {
      a = (std::uint64_t(p[0]) << 16) | (std::uint64_t(p[len >> 1]) << 8) |
          p[len - 1];
      b = 0;
    } else {
      a = b = 0;
    }
  } else {
    std::size_t i = len;
    while (i > 16) {
      seed = mix(read8(p) ^ s1, read8(p + 8) ^ seed);
      p += 16;
      i -= 16;
    }
    a = read8(p + i - 16);
    b = read8(p + i - 8);
  }
  unsigned __int128 r = static_cast<unsigned __int128>(a ^ s1) * (b ^ seed);
  return mix(static_cast<std::uint64_t>(r) ^ s0 ^ len,
             static_cast<std::uint64_t>(r >> 64) ^ s1);
}

// The distinct hashes seen, exactly, in an open-addressing table. It does
// not grow beyond room for `limit` hashes: the caller moves on to a
// HyperLogLog once it holds more.
class HashSet
{
public:
  explicit HashSet(std::size_t limit) : m_slots(16, 0), m_limit(limit) {}

  // Whether `h` was new.
  bool
  insert(std::uint64_t h)
  {
    h |= h == 0; // 0 marks an empty slot
    std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      if (m_slots[i] == h) {
        return false;
      }
      if (m_slots[i] == 0) {
        m_slots[i] = h;
        if (++m_size * 2 > m_slots.size() && m_size <= m_limit) {
          grow();
        }
        return true;
      }
    }
  }

  std::size_t
  size() const
  {
    return m_size;
  }

  template <typename F>
  void
  for_each(F&& f) const
  {
    for (std::uint64_t h : m_slots) {
      if (h != 0) {
        f(h);
      }
    }
  }

private:
  void
  grow()
  {
    std::vector<std::uint64_t> old(m_slots.size() * 2, 0);
    old.swap(m_slots);
    std::size_t mask = m_slots.size() - 1;
    for (std::uint64_t h : old) {
      if (h != 0) {
        std::size_t i = h & mask;
        while (m_slots[i] != 0) {
          i = (i + 1) & mask;
        }
        m_slots[i] = h;
      }
    }
  }

  std::vector<std::uint64_t> m_slots;
  std::size_t m_limit;
  std::size_t m_size = 0;
};

// HyperLogLog with 2^p one-byte registers (p = 14: 16 KiB, a standard
// error of 1.04 / 2^(p/2) = 0.8%), read with Ertl's improved estimator
// ("New cardinality estimation algorithms for HyperLogLog sketches",
// 2017), which needs neither the empirical bias tables of HLL++ nor a
// switch to linear counting for small counts.
class HyperLogLog
{
public:
  explicit HyperLogLog(int precision = 14)
      : m_p(precision), m_q(64 - precision),
        m_registers(std::size_t(1) << precision, 0)
  {}

  void
  add(std::uint64_t h)
  {
    std::size_t index = h >> m_q;
    auto rank = static_cast<std::uint8_t>(
        std::min(std::countl_zero(h << m_p), m_q) + 1);
    std::uint8_t& r = m_registers[index];
    r = std::max(r, rank);
  }

  double
  estimate() const
  {
    std::uint32_t counts[66] = {};
    for (std::uint8_t r : m_registers) {
      ++counts[r];
    }
    const double md = double(m_registers.size());
    double z = md * tau(1.0 - counts[m_q + 1] / md);
    for (int k = m_q; k >= 1; --k) {
      z = 0.5 * (z + counts[k]);
    }
    z += md * sigma(counts[0] / md);
    return md * md / (2.0 * std::log(2.0)) / z;
  }

private:
  static double
  sigma(double x)
  {
    if (x == 1.0) {
      return INFINITY;
    }
    double y = 1.0;
    double z = x;
    for (;;) {
      x *= x;
      double before = z;
      z += x * y;
      y += y;
      if (z == before) {
        return z;
      }
    }
  }

  static double
  tau(double x)
  {
    if (x == 0.0 || x == 1.0) {
      return 0.0;
    }
    double y = 1.0;
    double z = 1.0 - x;
    for (;;) {
      x = std::sqrt(x);
      double before = z;
      y *= 0.5;
      z -= (1.0 - x) * (1.0 - x) * y;
      if (z == before) {
        return z / 3.0;
      }
    }
  }

  int m_p;
  int m_q;
  std::vector<std::uint8_t> m_registers;
};

// Counts of the most frequent values: exact while at most `capacity`
// distinct values have been seen; beyond, the space-saving algorithm
// (Metwally et al., 2005) with evictions in batches: when the table is
// full, the less frequent half is dropped, and a value that arrives later
// starts from the largest count dropped. A reported count then
// overestimates the true one by at most that count, and every value more
// frequent than it is in the table.
class TopCounter
{
public:
  struct Entry
  {
    std::uint64_t hash = 0;
    std::uint64_t count = 0;
    std::uint64_t error = 0; // the count may exceed the true one by this
    std::string value;
  };

  // Values are kept up to this many bytes: enough to show them, and no
  // more memory per entry for a column of long texts.
  static constexpr std::size_t max_value_size = 256;

  explicit TopCounter(std::size_t capacity) : m_capacity(capacity)
  {
    m_slots.resize(16);
  }

  void
  add(std::uint64_t h, std::string_view value)
  {
    h |= h == 0;
    std::size_t mask = m_slots.size() - 1;
    std::size_t i = h & mask;
    for (; m_slots[i].hash != 0; i = (i + 1) & mask) {
      if (m_slots[i].hash == h) {
        ++m_entries[m_slots[i].index].count;
        return;
      }
    }
    if (m_entries.size() == m_capacity) {
      evict();
      i = h & mask; // the table was rebuilt
      while (m_slots[i].hash != 0) {
        i = (i + 1) & mask;
      }
    }
    m_slots[i] = {h, static_cast<std::uint32_t>(m_entries.size())};
    m_entries.push_back({h, m_floor + 1, m_floor, std::string(clip(value))});
    if (m_entries.size() * 2 > m_slots.size()) {
      reindex(m_slots.size() * 2);
    }
  }

  // Whether every count is exact (no value was ever evicted).
  bool
  exact() const
  {
    return !m_evicted;
  }

  std::size_t
  size() const
  {
    return m_entries.size();
  }

  const std::vector<Entry>&
  entries() const
  {
    return m_entries;
  }

  // The `k` most frequent values, by count and then by value. Once counts
  // are approximate, only values certainly seen twice or more: in a column
  // of unique values, the survivors of the last evictions are no more
  // frequent than any other value, and showing them would mislead.
  std::vector<Entry>
  top(std::size_t k) const
  {
    std::vector<const Entry*> order;
    order.reserve(m_entries.size());
    for (const Entry& e : m_entries) {
      if (!m_evicted || e.count - e.error >= 2) {
        order.push_back(&e);
      }
    }
    auto by_count = [](const Entry* a, const Entry* b) {
      return a->count != b->count ? a->count > b->count : a->value < b->value;
    };
    k = std::min(k, order.size());
    std::partial_sort(order.begin(), order.begin() + k, order.end(), by_count);
    std::vector<Entry> out;
    out.reserve(k);
    for (std::size_t i = 0; i < k; ++i) {
      out.push_back(*order[i]);
    }
    return out;
  }

private:
  struct Slot
  {
    std::uint64_t hash = 0;
    std::uint32_t index = 0;
  };

  static std::string_view
  clip(std::string_view value)
  {
    if (value.size() <= max_value_size) {
      return value;
    }
    std::size_t n = max_value_size;
    // Cut before a UTF-8 continuation byte, not inside a character.
    while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) {
      --n;
    }
    return value.substr(0, n);
  }

  void
  evict()
  {
    std::size_t keep = m_capacity / 2;
    std::nth_element(
        m_entries.begin(),
        m_entries.begin() + keep,
        m_entries.end(),
        [](const Entry& a, const Entry& b) { return a.count > b.count; });
    std::uint64_t dropped_max = 0;
    for (std::size_t i = keep; i < m_entries.size(); ++i) {
      dropped_max = std::max(dropped_max, m_entries[i].count);
    }
    m_floor = std::max(m_floor, dropped_max);
    m_entries.resize(keep);
    m_evicted = true;
    reindex(m_slots.size());
  }

  void
  reindex(std::size_t slots)
  {
    m_slots.assign(slots, Slot{});
    std::size_t mask = slots - 1;
    for (std::size_t k = 0; k < m_entries.size(); ++k) {
      std::size_t i = m_entries[k].hash & mask;
      while (m_slots[i].hash != 0) {
        i = (i + 1) & mask;
      }
      m_slots[i] = {m_entries[k].hash, static_cast<std::uint32_t>(k)};
    }
  }

  std::size_t m_capacity;
  std::vector<Entry> m_entries;
  std::vector<Slot> m_slots;
  std::uint64_t m_floor = 0;
  bool m_evicted = false;
};

} // namespace mlake::data::sketch
