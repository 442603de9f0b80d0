#include "heed/download/http_download.hpp"

#include <curl/curl.h>

#include <cstdio>
#include <memory>

#include "heed/error.hpp"

namespace heed::download {
namespace {

struct Transfer {
  std::FILE* file = nullptr;
  bool write_failed = false;
  const TransferProgress* progress = nullptr;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (std::fwrite(data, 1, n, t->file) != n) {
    t->write_failed = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  return n;
}

int report_progress(void* user, curl_off_t total, curl_off_t received, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->progress && *t->progress) (*t->progress)(std::uint64_t(received), std::uint64_t(total));
  return 0;
}

}  // namespace

void download_url(const std::string& url, const std::filesystem::path& to,
                  const TransferProgress& progress) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw Error(url + ": libcurl could not start a transfer");
  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(std::fopen(to.c_str(), "wb"),
                                                          std::fclose);
  if (!file) throw Error(to.string() + ": cannot create the file to download " + url + " into");
  Transfer t{file.get(), false, &progress};
  char error[CURL_ERROR_SIZE] = "";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);  // a 404 page is not the file
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // A transfer that moves under 1 byte a second for a minute has stalled:
  // stop rather than hang.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "heed (https://github.com/heed)");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, report_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  const CURLcode status = curl_easy_perform(c);
  if (t.write_failed)
    throw Error(to.string() + ": cannot write the download of " + url + " (disk full?)");
  if (status != CURLE_OK) {
    long http = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
    if (status == CURLE_HTTP_RETURNED_ERROR && http) {
      throw Error(url + ": the server answered HTTP " + std::to_string(http));
    }
    throw Error(url + ": " + (error[0] ? error : curl_easy_strerror(status)));
  }
  if (std::fflush(file.get()) != 0)
    throw Error(to.string() + ": cannot write the download of " + url);
}

}  // namespace heed::download
