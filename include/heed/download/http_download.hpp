#pragma once
// Files fetched over HTTP(S) with libcurl.
#include <filesystem>
#include <functional>
#include <string>

namespace heed::download {

/// Called now and then during a transfer with the bytes received so far and
/// the total (0 when the server does not say).
using TransferProgress = std::function<void(std::uint64_t received, std::uint64_t total)>;

/// Fetches `url` into the file `to` (created or truncated), following
/// redirects. heed::Error naming the URL and the reason (HTTP status, no
/// connection, a transfer stalled for a minute, a write error); `to` may then
/// hold part of the body, and the caller removes it.
void download_url(const std::string& url, const std::filesystem::path& to,
                  const TransferProgress& progress = {});

}  // namespace heed::download
