#include "cluster/data_dir.hpp"

namespace fp::cluster {

std::filesystem::path journal_dir(const std::filesystem::path& data_dir) {
  return data_dir / "journal";
}

expected<std::unique_ptr<journal::journal>> open_journal(const std::filesystem::path& data_dir,
                                                         bool read_only, std::string writer_id) {
  std::error_code ec;
  if (read_only && !std::filesystem::is_directory(data_dir, ec))
    return error{journal::errc::not_found,
                 "data dir " + data_dir.string() + " does not exist or is not a directory"};
  journal::options o;
  o.dir = journal_dir(data_dir);
  o.read_only = read_only;
  o.writer_id = std::move(writer_id);
  return journal::journal::open(std::move(o));
}

} // namespace fp::cluster
