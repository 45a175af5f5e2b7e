#pragma once

/// Internals shared by the files of protocol/pdf; not for use outside this folder.
namespace imap_mcp::pdf::detail {

/// Process-wide poppler set-up, done once: silences poppler's stderr output and keeps its global
/// tables alive between documents. Called before any document is opened (and before forking,
/// so that helper processes inherit a ready poppler).
void init_poppler();

} // namespace imap_mcp::pdf::detail
