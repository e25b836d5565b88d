// JSON string literals for lines the programs write themselves (log lines, access-log
// records), where a serializer object per line would cost more than the line.
#ifndef SWITCHYARD_COMMON_JSON_ESCAPE_H_
#define SWITCHYARD_COMMON_JSON_ESCAPE_H_

#include <string>
#include <string_view>

namespace switchyard {

// Appends `text` to `out` as a JSON string literal, quotes included. Quote, backslash and
// control characters are escaped; valid UTF-8 passes through; every byte that is not part
// of valid UTF-8 (request paths and headers are bytes) becomes \u00XX with its value, so
// the line stays valid JSON and the byte can still be read.
void AppendJsonString(std::string_view text, std::string& out);

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_JSON_ESCAPE_H_
