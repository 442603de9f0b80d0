#pragma once
// A whole binary file in memory, for the formats heed decodes from bytes
// (checkpoints, safetensors).
#include <filesystem>
#include <string>

namespace heed::data {

/// The file's bytes; heed::Error naming the file and `what` it should hold
/// if it cannot be opened or read.
std::string read_file_bytes(const std::filesystem::path& path, const std::string& what);

}  // namespace heed::data
