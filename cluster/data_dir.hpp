#pragma once

// The layout of a node data dir, shared by fpnode and the fp tools that inspect it.

#include "journal/journal.hpp"
#include "schemas/expected.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace fp::cluster {

/// The node's journal (and its object store) live in `DATA/journal`.
std::filesystem::path journal_dir(const std::filesystem::path& data_dir);

/// Opens the journal of `data_dir`. Read-only opens refuse a data dir without a journal
/// instead of creating one; the error names the directory that was expected.
expected<std::unique_ptr<journal::journal>>
open_journal(const std::filesystem::path& data_dir, bool read_only, std::string writer_id = "fp");

} // namespace fp::cluster
