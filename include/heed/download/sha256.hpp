#pragma once
// SHA-256 digests (OpenSSL) of files, for the checksums datasets are pinned by.
#include <filesystem>
#include <string>

namespace heed::download {

/// The lower-case hex SHA-256 of the file's bytes; heed::Error naming the
/// file if it cannot be read.
std::string sha256_of_file(const std::filesystem::path& path);

}  // namespace heed::download
