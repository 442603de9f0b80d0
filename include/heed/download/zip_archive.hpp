#pragma once
// Members of zip archives (libarchive), for datasets published as zips.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace heed::download {

/// Writes each regular file of the zip whose base name `wanted` accepts into
/// `folder`, under its base name (folders inside the archive are dropped, so
/// no member can land outside `folder`); returns the base names written.
/// heed::Error naming the archive for a damaged or truncated zip, a member
/// larger than `max_member_bytes`, or a base name that two members share.
std::vector<std::string> extract_zip(const std::filesystem::path& zip,
                                     const std::filesystem::path& folder,
                                     const std::function<bool(const std::string&)>& wanted,
                                     std::uint64_t max_member_bytes = std::uint64_t(4) << 30);

}  // namespace heed::download
