// spaic/params.h - reading a params struct by name, from one table per struct (spaic/params/<family>.h).
//
// A row says, for one field: its name in a program op (OpDesc num/str, read by core/op-base.h), its name
// in a binding's options object (read by binding/napi-util.h), its default and its check. Both readers
// walk the same rows through read() below, so a default or a check is written once; a reader only
// supplies the raw values and words the errors as its callers already see them. No N-API here.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

namespace spaic::params {

enum class Check : unsigned char {
  Finite,        // a finite number
  FiniteOrNone,  // a finite number, or none (absent; null from JS): the default, and the row is not given
  Bound,         // a number, +-Infinity allowed but not NaN, or none (absent; null from JS): the default
  Int32,         // an integer in the row's [lo, hi] (by default the int32 range, |v| <= 2^31 - 1)
  IntBound,      // an integer in the row's [lo, hi], +-Infinity, or none (absent; null from JS): the default
  Flag,          // a boolean (a program op passes 0 or 1)
  Choice,        // one of the row's choices (a string); the field gets its index
};

template <class P>
struct Row {
  const char* key;  // the program op's name for it; null: program ops do not read it
  const char* js;   // the binding's name for it; null: bindings do not read it
  double def;       // the default (Choice: an index into choices)
  Check check;
  // Writes the field: v is the value read or the default (Flag: 0/1, Choice: the index); given says
  // which, for fields that switch something on by being there (an optional norm).
  void (*set)(P& p, double v, bool given);
  const char* const* choices = nullptr;          // Choice: the accepted strings, null-terminated
  double lo = -2147483647.0, hi = 2147483647.0;  // Int32, IntBound: the accepted range
};

// Writes field `f` of P from the value read (bool: nonzero; integers: the checked value).
#define SPAIC_PARAM_FIELD(P, f) [](P& p, double v, bool) { p.f = static_cast<decltype(p.f)>(v); }

inline bool passes(Check c, double v, double lo = -2147483647.0, double hi = 2147483647.0) {
  switch (c) {
    case Check::Finite:
    case Check::FiniteOrNone: return std::isfinite(v);
    case Check::Bound: return !std::isnan(v);
    case Check::IntBound:
      if (std::isinf(v)) return true;
      [[fallthrough]];
    case Check::Int32: return std::isfinite(v) && v == std::floor(v) && v >= lo && v <= hi;
    case Check::Flag:
    case Check::Choice: return true;
  }
  return true;
}

// Whether [lo, hi] is the whole int32 range (the default of an Int32 row): errors then say "an int32".
inline bool int32_range(double lo, double hi) { return lo == -2147483647.0 && hi == 2147483647.0; }

// "'a', 'b' or 'c'"
inline std::string choice_list(const char* const* choices) {
  std::string s;
  for (const char* const* c = choices; *c; ++c) {
    if (c != choices) s += c[1] ? ", " : " or ";
    s += "'";
    s += *c;
    s += "'";
  }
  return s;
}

// What a reader supplies. number/flag/text give the value under `name` and return true, or return false
// when it is absent (or, for FiniteOrNone, Bound and IntBound, null: none); they throw on a value of the
// wrong type. bad/bad_choice throw the reader's error for a value that fails the row's check ([lo, hi]:
// the row's range, for Int32 and IntBound).
class Source {
 public:
  explicit Source(bool binding) : binding_(binding) {}
  const char* name_of(const char* key, const char* js) const { return binding_ ? js : key; }
  virtual bool number(const char* name, Check c, double* v) = 0;
  virtual bool flag(const char* name, bool* v) = 0;
  virtual bool text(const char* name, const char* const* choices, std::string* v) = 0;
  [[noreturn]] virtual void bad(const char* name, Check c, double v, double lo, double hi) = 0;
  [[noreturn]] virtual void bad_choice(const char* name, const char* const* choices, const std::string& v) = 0;

 protected:
  ~Source() = default;

 private:
  bool binding_;
};

// Reads every row `src` has a name for into p, in table order (so the first bad value is the one named).
template <class P, std::size_t N>
void read(const Row<P> (&rows)[N], Source& src, P& p) {
  for (const Row<P>& r : rows) {
    const char* name = src.name_of(r.key, r.js);
    if (!name) continue;
    double v = r.def;
    bool given = false;
    if (r.check == Check::Flag) {
      bool b = false;
      given = src.flag(name, &b);
      if (given) v = b ? 1.0 : 0.0;
    } else if (r.check == Check::Choice) {
      std::string s;
      given = src.text(name, r.choices, &s);
      if (given) {
        int i = 0;
        while (r.choices[i] && s != r.choices[i]) ++i;
        if (!r.choices[i]) src.bad_choice(name, r.choices, s);
        v = i;
      }
    } else {
      given = src.number(name, r.check, &v);
      if (!given) v = r.def;
      else if (!passes(r.check, v, r.lo, r.hi)) src.bad(name, r.check, v, r.lo, r.hi);
    }
    r.set(p, v, given);
  }
}

}  // namespace spaic::params
