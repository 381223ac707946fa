// spaic/error.h - the one exception type native code throws.
//
// The binding turns a spaic::Error into the matching JS class (InvalidArgumentError, ShapeError,
// DeviceError, StateError) with `param` set, so a C++ check names the argument the same way TS does.
// Native code never calls exit() or abort().
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace spaic {

enum class ErrorKind { InvalidArgument, Shape, Device, State, IO, Internal };

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string param, const std::string& message)
      : std::runtime_error(message), kind_(kind), param_(std::move(param)) {}
  ErrorKind kind() const { return kind_; }
  const std::string& param() const { return param_; }

 private:
  ErrorKind kind_;
  std::string param_;
};

template <typename... Args>
std::string str(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}

}  // namespace spaic

// SPAIC_CHECK(cond, Shape, "weight", "expected ", n, " rows") throws Error(kind, param, message) when cond fails.
#define SPAIC_CHECK(cond, kind, param, ...)                                                          \
  do {                                                                                               \
    if (!(cond)) throw ::spaic::Error(::spaic::ErrorKind::kind, (param), ::spaic::str(__VA_ARGS__)); \
  } while (0)

#define SPAIC_FAIL(kind, param, ...) throw ::spaic::Error(::spaic::ErrorKind::kind, (param), ::spaic::str(__VA_ARGS__))
