// Reading and writing safetensors checkpoints (the format is described in safetensors.h).
//
// Reading trusts nothing. The 8-byte header length is checked against a 100 MB cap and the real file size before a
// byte of header is allocated. The JSON is parsed by nlohmann-json with a callback that checks every tensor entry the
// moment it is complete, copies it out into a small Entry and drops it from the JSON tree, so memory stays
// proportional to the number of tensors whatever the header contains, and duplicate keys (which a JSON object would
// silently collapse to the last one) are caught as they stream past. Finally the entries, sorted by offset, must tile
// the data exactly: each begins where the previous one ended and the last ends at the end of the file. Only then is
// memory allocated for a tensor, and its byte count is by then known to be present in the file.
//
// Writing builds the header by hand (nlohmann only escapes the strings) so that it lists tensors in insertion order,
// then streams each tensor's row-major bytes straight to the file, copying only tensors that are not contiguous.
#include "tensor/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <tuple>
#include <unordered_set>

namespace glimpse {
namespace {

using json = nlohmann::json;

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian and glimpse copies it as is; a big-endian port must swap bytes");

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the cap of the reference implementation
constexpr const char* kMetadataKey = "__metadata__";

// ---- dtypes: safetensors spells them F32, F64, I64

std::string_view dtype_code(DType d) {
  switch (d) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int64: return "I64";
  }
  return "?";
}

std::optional<DType> dtype_from_code(std::string_view code) {
  for (DType d : {DType::Float32, DType::Float64, DType::Int64}) {
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

std::string errno_text(int err) { return std::generic_category().message(err); }

// Where the bytes being read come from: every reading error starts "<op>: <source>: ".
struct Source {
  std::string_view op;
  std::string_view name;
};

// Throws Error "<op>: <source>: <message>". Reading code calls it as `if (bad) fail(...)` rather than through check(),
// so that the arguments (quoted names, JSON snippets) are only formatted when something is wrong.
template <class... Args>
[[noreturn]] void fail(const Source& src, fmt::format_string<Args...> message, Args&&... args) {
  throw Error(fmt::format("{}: {}: {}", src.op, src.name, fmt::format(message, std::forward<Args>(args)...)));
}

// Like check(), for a system call that failed: appends the system's reason (from errno) to the message. The caller
// passes `ok` straight from the call, and nothing else it passes touches errno.
template <class... Args>
void check_sys(bool ok, fmt::format_string<Args...> message, Args&&... args) {
  if (!ok) [[unlikely]] {
    int err = errno;
    throw Error(fmt::format("{}: {}", fmt::format(message, std::forward<Args>(args)...), errno_text(err)));
  }
}

// ---- the header, parsed and checked

struct Entry {
  std::string name;
  DType dtype = DType::Float32;
  Shape shape;
  uint64_t begin = 0, end = 0;  // byte range in the data
};

struct Header {
  std::vector<Entry> entries;  // sorted by data offset
  std::map<std::string, std::string> metadata;
};

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
    fail(src, "{}: unsupported dtype {}; glimpse reads F32, F64 and I64 (convert the tensor first)", who,
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

// Parses and checks the header JSON against a data buffer of `data_size` bytes.
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

// The header length from the file's first 8 bytes, checked against the cap and the size of the whole file.
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

// ---- files

// A file descriptor, closed when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Reads exactly n bytes at `offset`; short reads are normal for large sizes, so it loops.
void read_exact(int fd, void* out, size_t n, uint64_t offset, const Source& src) {
  char* p = static_cast<char*>(out);
  while (n > 0) {
    ssize_t got = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(src, "read failed: {}", errno_text(errno));
    if (got == 0) fail(src, "the file ended early (did it change while being read?)");
    p += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
}

void write_all(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t put = ::write(fd, p, n);
    if (put < 0 && errno == EINTR) continue;
    check_sys(put > 0, "save_safetensors: writing {} failed", path);
    p += put;
    n -= static_cast<size_t>(put);
  }
}

// Turns checked header entries and the bytes they describe into tensors. `read(dst, begin, n)` copies n data bytes
// starting at `begin` into dst.
template <class ReadBytes>
NamedTensors make_tensors(Header header, ReadBytes&& read) {
  NamedTensors out;
  out.metadata = std::move(header.metadata);
  out.tensors.reserve(header.entries.size());
  for (Entry& e : header.entries) {
    Tensor t = empty(e.shape, e.dtype);
    if (e.end > e.begin) read(t.raw_data(), e.begin, static_cast<size_t>(e.end - e.begin));
    out.tensors.emplace_back(std::move(e.name), std::move(t));
  }
  return out;
}

// ---- writing

// A string as JSON text: quoted and escaped. JSON text is UTF-8, so other bytes are an Error naming `what`.
std::string json_string(const std::string& s, std::string_view what, const char* op) {
  try {
    return json(s).dump();
  } catch (const json::exception&) {
    throw Error(fmt::format("{}: {} {} is not valid UTF-8; JSON (and so safetensors) needs UTF-8 strings", op, what,
                            quote_name(s)));
  }
}

// The 8-byte length followed by the header JSON, padded with spaces to a multiple of 8 bytes (so the data that
// follows starts 8-aligned). Checks everything about `named` that could make the save fail, so the caller can do this
// before touching the disk.
std::string encode_header(const NamedTensors& named, const char* op) {
  std::string text = "{";
  if (!named.metadata.empty()) {
    text += fmt::format("\"{}\":{{", kMetadataKey);
    const char* sep = "";
    for (const auto& [key, value] : named.metadata) {
      text += sep + json_string(key, "metadata key", op) + ":" + json_string(value, "metadata value", op);
      sep = ",";
    }
    text += "}";
  }
  std::unordered_set<std::string_view> seen;
  uint64_t offset = 0;
  for (const auto& [name, t] : named.tensors) {
    check(t.defined(), "{}: tensor {} is undefined (default-constructed); give it a value or leave it out", op,
          quote_name(name));
    check(name != kMetadataKey, "{}: the name \"{}\" is reserved for the metadata; rename that tensor", op,
          kMetadataKey);
    check(seen.insert(name).second, "{}: tensor {} appears twice; names must be unique", op, quote_name(name));
    const uint64_t nbytes = static_cast<uint64_t>(t.numel() * dtype_size(t.dtype()));
    text += fmt::format("{}{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}", text.size() > 1 ? "," : "",
                        json_string(name, "tensor name", op), dtype_code(t.dtype()),
                        fmt::join(t.shape().begin(), t.shape().end(), ","), offset, offset + nbytes);
    offset += nbytes;
  }
  text += "}";
  text.append((8 - text.size() % 8) % 8, ' ');
  check(text.size() <= kMaxHeaderBytes, "{}: the header would take {} bytes, over the {} byte cap readers enforce", op,
        text.size(), kMaxHeaderBytes);

  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);  // little-endian
  return out + text;
}

// Calls `write(bytes, n)` with each tensor's row-major bytes in order, copying only tensors that are not contiguous
// (one at a time, so a save never holds more than one extra tensor).
template <class Write>
void for_each_tensor_bytes(const NamedTensors& named, Write&& write) {
  for (const auto& [name, t] : named.tensors) {
    Tensor c = t.contiguous();
    const size_t nbytes = static_cast<size_t>(c.numel() * dtype_size(c.dtype()));
    if (nbytes > 0) write(static_cast<const char*>(c.raw_data()), nbytes);
  }
}

}  // namespace

// ---- NamedTensors

const Tensor* NamedTensors::find(std::string_view name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return &t;
  }
  return nullptr;
}

Tensor* NamedTensors::find(std::string_view name) {
  return const_cast<Tensor*>(static_cast<const NamedTensors&>(*this).find(name));
}

const Tensor& NamedTensors::at(std::string_view name) const {
  if (const Tensor* t = find(name)) return *t;
  std::string names;
  for (size_t i = 0; i < tensors.size() && i < 10; ++i) names += (i ? ", " : "") + quote_name(tensors[i].first);
  if (tensors.size() > 10) names += fmt::format(", ... ({} in all)", tensors.size());
  throw Error(fmt::format("NamedTensors::at: no tensor named {}; the names are: {}", quote_name(name),
                          names.empty() ? "(none)" : names));
}

// ---- in memory

std::string serialize_safetensors(const NamedTensors& named) {
  std::string out = encode_header(named, "serialize_safetensors");
  size_t total = out.size();
  for (const auto& [name, t] : named.tensors) total += static_cast<size_t>(t.numel() * dtype_size(t.dtype()));
  out.reserve(total);
  for_each_tensor_bytes(named, [&](const char* p, size_t n) { out.append(p, n); });
  return out;
}

NamedTensors parse_safetensors(std::string_view bytes, std::string_view source) {
  const Source src{"parse_safetensors", source};
  if (bytes.size() < 8) {
    fail(src, "{} bytes is too short for a safetensors file (the header length alone takes 8)", bytes.size());
  }
  unsigned char prefix[8];
  std::memcpy(prefix, bytes.data(), 8);
  const uint64_t n = header_length(prefix, bytes.size(), src);
  const std::string_view data = bytes.substr(8 + n);
  Header header = parse_header(bytes.substr(8, n), data.size(), src);
  return make_tensors(std::move(header),
                      [&](void* dst, uint64_t begin, size_t count) { std::memcpy(dst, data.data() + begin, count); });
}

// ---- files

void save_safetensors(const NamedTensors& named, const std::string& path) {
  const char* op = "save_safetensors";
  const std::string header = encode_header(named, op);  // every check on `named`, before the disk is touched

  // Write everything to a temporary file beside `path`, then rename it over `path`: rename is atomic, so a reader
  // (or a crash) sees either the old checkpoint or the complete new one, never half of one.
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  FileDescriptor fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  check_sys(fd.get() >= 0, "{}: cannot create {} (does the directory exist, and is it writable?)", op, tmp);
  try {
    write_all(fd.get(), header.data(), header.size(), tmp);
    for_each_tensor_bytes(named, [&](const char* p, size_t n) { write_all(fd.get(), p, n, tmp); });
    // fsync before rename: otherwise after a power cut the rename may be on disk while the data is not.
    check_sys(::fsync(fd.get()) == 0, "{}: flushing {} to disk failed", op, tmp);
    check_sys(::close(fd.release()) == 0, "{}: closing {} failed", op, tmp);
    check_sys(::rename(tmp.c_str(), path.c_str()) == 0, "{}: renaming {} to {} failed", op, tmp, path);
  } catch (...) {
    ::unlink(tmp.c_str());  // never leave a half-written temporary behind; `path` itself was not touched
    throw;
  }

  // The rename itself is durable once the directory is flushed too. Best effort: some file systems refuse to fsync a
  // directory, and the checkpoint is complete either way.
  std::string dir = std::filesystem::path(path).parent_path().string();
  FileDescriptor dir_fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
}

NamedTensors load_safetensors(const std::string& path) {
  const Source src{"load_safetensors", path};
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail(src, "cannot open: {}", errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(src, "cannot stat: {}", errno_text(errno));
  if (!S_ISREG(st.st_mode)) fail(src, "not a regular file{}", S_ISDIR(st.st_mode) ? " (it is a directory)" : "");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 8) {
    fail(src, "{} bytes is too short for a safetensors file (the header length alone takes 8)", file_size);
  }

  unsigned char prefix[8];
  read_exact(fd.get(), prefix, 8, 0, src);
  const uint64_t n = header_length(prefix, file_size, src);
  std::string text(n, '\0');  // at most 100 MB, and no more than the file holds
  read_exact(fd.get(), text.data(), n, 8, src);
  Header header = parse_header(text, file_size - 8 - n, src);
  text = {};

  // Each tensor is read straight into its own storage: no second copy of the checkpoint in memory.
  return make_tensors(std::move(header), [&](void* dst, uint64_t begin, size_t count) {
    read_exact(fd.get(), dst, count, 8 + n + begin, src);
  });
}

}  // namespace glimpse
