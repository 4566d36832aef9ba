// The safetensors header: its JSON parsed and every claim in it checked (the format is described in safetensors.h).
//
// Reading trusts nothing. The 8-byte header length is checked against a 100 MB cap and the real file size before a
// byte of header is allocated. The JSON is parsed by nlohmann-json with a callback that checks every tensor entry the
// moment it is complete, copies it out into a small Entry and drops it from the JSON tree, so memory stays
// proportional to the number of tensors whatever the header contains, and duplicate keys (which a JSON object would
// silently collapse to the last one) are caught as they stream past. Finally the entries, sorted by offset, must tile
// the data exactly: each begins where the previous one ended and the last ends at the end of the file. Only then is
// memory allocated for a tensor, and its byte count is by then known to be present in the file.
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <system_error>
#include <tuple>
#include <unordered_set>

#include "tensor/safetensors_format.h"

namespace glimpse::safetensors_detail {

using json = nlohmann::json;

// ---- dtypes: safetensors spells them F32, F64, I64, F16, BF16

std::string_view dtype_code(DType d) {
  switch (d) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int64: return "I64";
    case DType::Float16: return "F16";
    case DType::BFloat16: return "BF16";
  }
  return "?";
}

std::optional<DType> dtype_from_code(std::string_view code) {
  for (DType d : {DType::Float32, DType::Float64, DType::Int64, DType::Float16, DType::BFloat16}) {
    if (code == dtype_code(d)) return d;
  }
  return std::nullopt;
}

// ---- error messages

// A string from a file, quoted and escaped for an error message, and cut short: a hostile name can be megabytes long.
std::string quote_name(std::string_view s) {
  constexpr size_t kMaxShown = 64;
  if (s.size() <= kMaxShown) return fmt::format("{:?}", s);
  return fmt::format("{:?}... ({} bytes)", s.substr(0, kMaxShown), s.size());
}

std::string errno_text(int err) { return std::generic_category().message(err); }

namespace {

// Text from a file (or a parser's message quoting it) made printable for an error message: bytes outside printable
// ASCII become \xNN, so a hostile header cannot put raw control or non-UTF-8 bytes into a terminal or a log.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", b);
    }
  }
  return out;
}

// A JSON value from a file, for an error message, cut short like quote_name().
std::string shown(const json& v) {
  std::string text = v.dump();
  if (text.size() > 64) text = text.substr(0, 64) + "...";
  return text;
}

// A JSON number that is a non-negative integer, else nullopt (negative, fractional, or not a number at all).
std::optional<uint64_t> as_size(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

// Checks one tensor entry {"dtype": .., "shape": [..], "data_offsets": [begin, end]} against a data buffer of
// `data_size` bytes, and copies it out.
Entry read_entry(const std::string& name, const json& info, uint64_t data_size, const Source& src) {
  const std::string who = fmt::format("tensor {}", quote_name(name));
  for (const auto& item : info.items()) {
    if (item.key() != "dtype" && item.key() != "shape" && item.key() != "data_offsets") {
      fail(src, "{}: unexpected field {}; an entry holds exactly dtype, shape and data_offsets", who,
           quote_name(item.key()));
    }
  }
  auto field = [&](const char* key) -> const json& {
    auto it = info.find(key);
    if (it == info.end()) {
      fail(src, "{}: missing field \"{}\" (an entry needs dtype, shape and data_offsets)", who, key);
    }
    return *it;
  };

  Entry e;
  e.name = name;
  const json& dtype = field("dtype");
  if (!dtype.is_string()) fail(src, "{}: \"dtype\" must be a string such as \"F32\", got {}", who, shown(dtype));
  std::optional<DType> d = dtype_from_code(dtype.get_ref<const std::string&>());
  if (!d) {
    fail(src, "{}: unsupported dtype {}; glimpse reads F32, F64, I64, F16 and BF16 (convert the tensor first)", who,
         quote_name(dtype.get_ref<const std::string&>()));
  }
  e.dtype = *d;
  const int64_t elem = dtype_size(e.dtype);

  // The sizes, and their product twice: numel, and `span` where a size 0 counts as 1. Strides are products of sizes
  // counted that way, so keeping span * elem within int64 keeps every stride and byte count of the tensor in range.
  const json& shape = field("shape");
  if (!shape.is_array() || shape.size() > static_cast<size_t>(kMaxDims)) {
    fail(src, "{}: \"shape\" must be an array of at most {} sizes, got {}", who, kMaxDims, shown(shape));
  }
  const int64_t max_span = std::numeric_limits<int64_t>::max() / elem;
  int64_t numel = 1, span = 1;
  for (const json& s : shape) {
    std::optional<uint64_t> size = as_size(s);
    if (!size) fail(src, "{}: shape {} holds {}; sizes must be non-negative integers", who, shown(shape), shown(s));
    const int64_t factor = static_cast<int64_t>(std::max<uint64_t>(*size, 1));
    if (*size > static_cast<uint64_t>(max_span) || factor > max_span / span) {
      fail(src, "{}: shape {} is too large: its size in bytes overflows 64 bits", who, shown(shape));
    }
    span *= factor;
    numel *= static_cast<int64_t>(*size);
    e.shape.push_back(static_cast<int64_t>(*size));
  }
  const uint64_t nbytes = static_cast<uint64_t>(numel * elem);

  const json& offsets = field("data_offsets");
  std::optional<uint64_t> begin, end;
  if (offsets.is_array() && offsets.size() == 2) {
    begin = as_size(offsets[0]);
    end = as_size(offsets[1]);
  }
  if (!begin || !end) {
    fail(src, "{}: \"data_offsets\" must be [begin, end] with non-negative integers, got {}", who, shown(offsets));
  }
  e.begin = *begin;
  e.end = *end;
  if (e.begin > e.end) fail(src, "{}: data_offsets [{}, {}] begin after they end", who, e.begin, e.end);
  if (e.end > data_size) {
    fail(src, "{}: data_offsets [{}, {}] run past the end of the data ({} bytes); the file is truncated or corrupt",
         who, e.begin, e.end, data_size);
  }
  if (e.end - e.begin != nbytes) {
    fail(src, "{}: data_offsets [{}, {}] hold {} bytes, but shape {} of {} needs {} ({} elements of {} bytes)", who,
         e.begin, e.end, e.end - e.begin, e.shape, dtype_code(e.dtype), nbytes, numel, elem);
  }
  return e;
}

// Checks the "__metadata__" object (string keys, string values) and copies it out.
void read_metadata(const json& meta, std::map<std::string, std::string>& out, const Source& src) {
  for (const auto& item : meta.items()) {
    if (!item.value().is_string()) {
      fail(src, "{}: the value of {} must be a string, got {}", kMetadataKey, quote_name(item.key()), shown(item.value()));
    }
    out.emplace(item.key(), item.value().get<std::string>());
  }
}

}  // namespace

Header parse_header(std::string_view text, uint64_t data_size, const Source& src) {
  using Event = json::parse_event_t;
  Header header;
  std::unordered_set<std::string> names;  // top-level keys so far: tensor names and __metadata__
  std::string current;                    // the top-level key whose value is being parsed
  std::unordered_set<std::string> keys;   // keys seen inside that value (entry fields or metadata keys)
  size_t array_items = 0;                 // items of the array being parsed inside an entry (shape, data_offsets)
  auto who = [&] {
    return current == kMetadataKey ? std::string(kMetadataKey) : fmt::format("tensor {}", quote_name(current));
  };
  auto kind = [](Event event, const json& parsed) -> std::string {
    if (event == Event::array_start) return "an array";
    if (event == Event::object_start) return "an object";
    return shown(parsed);
  };

  // Called by the parser at every key, value, and start and end of an object or array; `depth` is 0 at the root.
  // A valid header has a root object (depth 0) of objects (depth 1) whose values are strings, or arrays (depth 2) of
  // numbers (depth 3). Returning false drops the value just parsed from the JSON tree.
  json::parser_callback_t on_event = [&](int depth, Event event, json& parsed) -> bool {
    if (depth == 0) {
      if (event != Event::object_start && event != Event::object_end) {
        fail(src, "the header must be a JSON object of tensor entries, got {}", kind(event, parsed));
      }
      return true;
    }
    if (depth == 1) {
      if (event == Event::key) {
        current = parsed.get<std::string>();
        if (!names.insert(current).second) fail(src, "{} appears twice in the header; names must be unique", who());
        keys.clear();
        return true;
      }
      if (event != Event::object_start && event != Event::object_end) {
        fail(src, "{}: must be a JSON object, got {}", who(), kind(event, parsed));
      }
      if (event == Event::object_end) {
        if (current == kMetadataKey) {
          read_metadata(parsed, header.metadata, src);
        } else {
          header.entries.push_back(read_entry(current, parsed, data_size, src));
        }
        return false;  // checked and copied out: the JSON tree need not keep it
      }
      return true;
    }
    if (depth == 2) {
      if (event == Event::key) {
        if (!keys.insert(parsed.get<std::string>()).second) {
          fail(src, "{}: key {} appears twice", who(), quote_name(parsed.get_ref<const std::string&>()));
        }
      }
      if (event == Event::object_start) fail(src, "{}: unexpected nested object", who());
      if (event == Event::array_start) array_items = 0;
      return true;
    }
    // depth 3: the numbers of a shape or data_offsets. Bounding the count bounds the memory a hostile array can take.
    if (event != Event::value || ++array_items > static_cast<size_t>(kMaxDims)) {
      fail(src, "{}: nests deeper, or holds a longer array, than a safetensors entry can (at most {} sizes in a shape)",
           who(), kMaxDims);
    }
    return true;
  };

  // nlohmann stops at a NUL byte as if the input ended there, which would let anything hide behind one. Valid JSON
  // never holds a raw NUL (strings must escape it as \u0000), so reject it up front.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    fail(src, "the header is not valid JSON: it holds a NUL byte at offset {}", nul);
  }
  try {
    // What comes back is an empty object: the callback dropped every entry after copying it out.
    [[maybe_unused]] const json root = json::parse(text.data(), text.data() + text.size(), on_event);
  } catch (const json::exception& e) {
    std::string reason = e.what();
    if (reason.size() > 200) reason = reason.substr(0, 200) + "...";
    fail(src, "the header is not valid JSON: {}", printable(reason));
  }
  // The format requires the JSON object to start at the first byte; only the end may be padded with spaces.
  if (text.front() != '{') {
    fail(src, "the header must start with '{{' (only trailing spaces may pad it), got '{}'",
         printable(text.substr(0, 1)));
  }

  // The tensors must tile the data: sorted by offset, each starts where the previous one ended (no overlaps, no
  // holes), and the last ends at the end of the data. The sort is stable so that empty tensors sharing an offset
  // keep their header order.
  auto& entries = header.entries;
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
  uint64_t covered = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (i > 0) {
      const Entry& p = entries[i - 1];
      if (e.begin < covered) {
        fail(src, "tensor {}: data_offsets [{}, {}] overlap tensor {} at [{}, {}]", quote_name(e.name), e.begin, e.end,
             quote_name(p.name), p.begin, p.end);
      }
      if (e.begin > covered) {
        fail(src, "tensor {}: data_offsets [{}, {}] leave a hole of {} bytes after tensor {} at [{}, {}]",
             quote_name(e.name), e.begin, e.end, e.begin - covered, quote_name(p.name), p.begin, p.end);
      }
    } else {
      if (e.begin > 0) {
        fail(src, "tensor {}: data_offsets [{}, {}] leave a hole of {} bytes at the start of the data", quote_name(e.name),
             e.begin, e.end, e.begin);
      }
    }
    covered = e.end;
  }
  if (covered != data_size) {
    fail(src, "the data holds {} bytes but the tensors cover only {}; {} bytes belong to no tensor", data_size, covered,
         data_size - covered);
  }
  return header;
}

uint64_t header_length(const unsigned char prefix[8], uint64_t file_size, const Source& src) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | prefix[i];  // little-endian, whatever the machine
  if (n > kMaxHeaderBytes) {
    fail(src, "header length {} exceeds the {} byte cap; this is not a safetensors file, or it is corrupt", n,
         kMaxHeaderBytes);
  }
  if (n > file_size - 8) {
    fail(src, "header length {} runs past the end of the file ({} bytes); the file is truncated", n, file_size);
  }
  return n;
}

}  // namespace glimpse::safetensors_detail
