// Text as XML character data or an attribute value, for the JUnit report
// (reports.cpp) and the SVG drawings (render.cpp): the five markup
// characters escaped, and the control characters XML 1.0 does not allow
// (all but tab and newline) as spaces.
#pragma once
#include <string>

namespace luv {

inline std::string xml(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t') out += ' ';
        else out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace luv
