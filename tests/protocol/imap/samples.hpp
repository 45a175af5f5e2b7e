#pragma once

// Raw server responses used by the parser and client tests. The Dovecot ones were captured
// byte for byte from Dovecot 2.3.19 (the server of this project's integration tests); the
// Gmail-style and other ones follow transcripts of those servers.

namespace imap_mcp::imap::samples {

inline const char* dovecot_greeting =
    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] "
    "Dovecot (Debian) ready.\r\n";

inline const char* dovecot_login_ok =
    "a1 OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY "
    "THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT "
    "CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT "
    "SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW "
    "STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE] Logged in\r\n";

inline const char* dovecot_select =
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r\n"
    "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)] Flags "
    "permitted.\r\n"
    "* 1 EXISTS\r\n"
    "* 1 RECENT\r\n"
    "* OK [UIDVALIDITY 1795637293] UIDs valid\r\n"
    "* OK [UIDNEXT 4] Predicted next UID\r\n"
    "* OK [HIGHESTMODSEQ 9] Highest\r\n"
    "a4 OK [READ-WRITE] Select completed (0.003 + 0.000 + 0.002 secs).\r\n";

/// A multipart/mixed message with a multipart/alternative, a PDF attachment and a forwarded
/// message/rfc822 that is itself multipart; the Cc has a group and a literal display name.
inline const char* dovecot_fetch_structure =
    "* OK [HIGHESTMODSEQ 9] Highest\r\n"
    "* 1 FETCH (UID 3 FLAGS (\\Seen \\Recent $Forwarded) INTERNALDATE \"26-Feb-2024 09:30:45 "
    "+0000\" RFC822.SIZE 1255 PREVIEW \"Hello Bob, this is the body text.\" MODSEQ (9) ENVELOPE "
    "(\"Mon, 26 Feb 2024 10:30:45 +0100\" \"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= and a forwarded mail\" "
    "((\"Alice Example\" NIL \"alice\" \"example.org\")) ((\"Alice Example\" NIL \"alice\" "
    "\"example.org\")) ((\"Alice Example\" NIL \"alice\" \"example.org\")) ((NIL NIL "
    "\"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) ((NIL NIL \"Team\" NIL)(NIL NIL \"bob\" "
    "\"example.org\")({9}\r\n"
    "Carol \"C\" NIL \"carol\" \"example.org\")(NIL NIL NIL NIL)(NIL NIL \"dave\" "
    "\"example.org\")) NIL NIL \"<m1@example.org>\") BODYSTRUCTURE (((\"text\" \"plain\" "
    "(\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 33 0 NIL NIL NIL NIL)(\"text\" \"html\" "
    "(\"charset\" \"utf-8\") NIL NIL \"7bit\" 16 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" "
    "\"alt\") NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"report.pdf\") NIL NIL \"base64\" 12 "
    "NIL (\"attachment\" (\"filename\" \"report.pdf\")) (\"en\") NIL)(\"message\" \"rfc822\" NIL "
    "NIL NIL \"7bit\" 393 (\"Sun, 25 Feb 2024 09:00:00 +0000\" \"inner\" ((\"Bob\" NIL \"bob\" "
    "\"example.org\")) ((\"Bob\" NIL \"bob\" \"example.org\")) ((\"Bob\" NIL \"bob\" "
    "\"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) NIL NIL NIL NIL) ((\"text\" "
    "\"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL)(\"image\" \"png\" "
    "(\"name\" \"x.png\") \"<img1@x>\" NIL \"base64\" 12 NIL (\"inline\" NIL) NIL NIL) \"mixed\" "
    "(\"boundary\" \"inner\") NIL NIL NIL) 19 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"outer\") "
    "NIL NIL NIL))\r\n"
    "a5 OK Fetch completed (0.004 + 0.000 + 0.003 secs).\r\n";

/// Body sections as literals, including a partial fetch and a literal8 (BINARY) with a bare LF.
inline const char* dovecot_fetch_sections =
    "* 1 FETCH (UID 3 BODY[1.1] {33}\r\n"
    "Hello Bob, this is the body text. BODY[HEADER.FIELDS (DATE FROM)] {84}\r\n"
    "From: \"Alice Example\" <alice@example.org>\r\n"
    "Date: Mon, 26 Feb 2024 10:30:45 +0100\r\n"
    "\r\n"
    " BODY[]<0> {30}\r\n"
    "From: \"Alice Example\" <alice@e BINARY[2] ~{9}\r\n"
    "%PDF-1.4\n"
    " BODY[3.2.MIME] {125}\r\n"
    "Content-Type: image/png; name=x.png\r\n"
    "Content-Disposition: inline\r\n"
    "Content-ID: <img1@x>\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    ")\r\n"
    "a6 OK Fetch completed (0.001 + 0.000 secs).\r\n";

inline const char* dovecot_list = "* LIST (\\Sent) \"/\" Sent\r\n"
                                  "* LIST (\\Trash) \"/\" Trash\r\n"
                                  "* LIST (\\NonExistent) \"/\" Entw&APw-rfe\r\n"
                                  "* LIST () \"/\" Entw&APw-rfe/&ZeVnLIqe-\r\n"
                                  "* LIST (\\Drafts) \"/\" Drafts\r\n"
                                  "* LIST () \"/\" INBOX\r\n"
                                  "a7 OK List completed (0.001 + 0.000 secs).\r\n";

inline const char* dovecot_move = "* OK [COPYUID 1795637294 3 3] Moved UIDs.\r\n"
                                  "* 1 EXPUNGE\r\n"
                                  "* 0 RECENT\r\n"
                                  "a8 OK Move completed (0.013 + 0.000 + 0.012 secs).\r\n";

inline const char* dovecot_misc =
    "* ESEARCH (TAG \"a8\") UID ALL 1:2 COUNT 2\r\n"
    "a8 OK Search completed (0.001 + 0.000 secs).\r\n"
    "* ESEARCH (TAG \"a9\") UID COUNT 0\r\n"
    "a9 OK Search completed (0.002 + 0.000 + 0.001 secs).\r\n"
    "* SEARCH 1\r\n"
    "b1 OK Search completed (0.001 + 0.000 secs).\r\n"
    "* STATUS INBOX (MESSAGES 2 UIDNEXT 3 UIDVALIDITY 1795637293 UNSEEN 1)\r\n"
    "b2 OK [CLIENTBUG] Status on selected mailbox completed (0.001 + 0.000 secs).\r\n"
    "b3 OK [COPYUID 1795637294 1:2 1:2] Copy completed (0.012 + 0.000 + 0.011 secs).\r\n"
    "* 1 FETCH (UID 2 MODSEQ (6) FLAGS (\\Deleted \\Recent))\r\n"
    "b5 OK Store completed (0.001 + 0.000 secs).\r\n"
    "b7 NO Mailbox doesn't exist: nope (0.001 + 0.000 secs).\r\n"
    "b8 NO [BADCHARSET] Unknown charset (0.001 + 0.000 secs).\r\n"
    "b9 NO [ALREADYEXISTS] Mailbox already exists (0.001 + 0.000 secs).\r\n"
    "c2 NO [NONEXISTENT] Mailbox doesn't exist: nope (0.001 + 0.000 secs).\r\n"
    "c4 NO [TRYCREATE] Mailbox doesn't exist: nope (0.001 + 0.000 secs).\r\n"
    "+ OK\r\n"
    "a2 OK [APPENDUID 1795637293 3] Append completed (0.055 + 0.000 + 0.054 secs).\r\n"
    "* BYE Logging out\r\n"
    "c6 OK Logout completed (0.001 + 0.000 secs).\r\n";

/// Gmail style: upper-case media types, X-GM-* items, a message/rfc822 attachment whose body
/// is a single part, a parameter value sent as a literal.
inline const char* gmail_fetch =
    "* 12 FETCH (X-GM-THRID 1278455344230334865 X-GM-MSGID 1278455344230334866 X-GM-LABELS "
    "(\\Inbox \\Important \"Muy Importante\") UID 4 MODSEQ (7781) FLAGS (\\Seen) BODYSTRUCTURE "
    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\" \"FORMAT\" \"flowed\") NIL NIL "
    "\"QUOTED-PRINTABLE\" 20 2 NIL NIL NIL)(\"MESSAGE\" \"RFC822\" (\"NAME\" \"fwd.eml\") NIL NIL "
    "\"7BIT\" 812 (\"Tue, 20 Feb 2024 08:00:00 -0800\" \"Fwd: plans\" ((\"Dan\" NIL \"dan\" "
    "\"example.com\")) ((\"Dan\" NIL \"dan\" \"example.com\")) ((\"Dan\" NIL \"dan\" "
    "\"example.com\")) ((NIL NIL \"eve\" \"example.com\")) NIL NIL NIL \"<fwd@example.com>\") "
    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 30 3 NIL NIL NIL) 25 NIL "
    "(\"ATTACHMENT\" (\"FILENAME\" \"fwd.eml\")) NIL)(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" "
    "{10}\r\n"
    "report.pdf) NIL NIL \"BASE64\" 5000 NIL (\"ATTACHMENT\" (\"FILENAME\" \"report.pdf\" \"SIZE\" "
    "\"3700\")) NIL NIL) \"MIXED\" (\"BOUNDARY\" \"000000000000abc\") NIL NIL))\r\n"
    "A5 OK Success\r\n";

/// Oddities seen from other servers: spaces between multipart children, the non-extensible
/// BODY form, message/rfc822 described like a basic part, NIL media fields, lower-case NIL.
inline const char* odd_servers =
    "* 7 FETCH (UID 70 BODY ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1) (\"text\" \"html\" NIL "
    "NIL NIL \"7bit\" 4 1) \"alternative\"))\r\n"
    "* 8 FETCH (BODYSTRUCTURE (\"message\" \"rfc822\" nil nil nil \"7bit\" 100 nil nil nil nil) "
    "UID 80)\r\n"
    "* 9 FETCH (UID 90 BODYSTRUCTURE (NIL NIL NIL NIL NIL NIL 0 NIL NIL NIL NIL))\r\n"
    "* LIST (\\Noselect) NIL \"\"\r\n"
    "* LSUB () \".\" {8}\r\n"
    "INBOX.Hi\r\n"
    "* SEARCH 5 7 9 (MODSEQ 44)\r\n"
    "* SEARCH\r\n"
    "* ESEARCH (TAG \"A12\") UID MIN 2 MAX 19 COUNT 5 ALL 2,4:6,19 MODSEQ 77\r\n"
    "* STATUS {5}\r\n"
    "Inbox (MESSAGES 3 X-UNKNOWN 7 HIGHESTMODSEQ 88 SIZE 12345)\r\n"
    "* NO [ALERT] Mailbox is at 95% of quota\r\n"
    "* OK [REFERRAL imap://user;AUTH=*@SERVER2/] see there\r\n"
    "* OK [BADCHARSET (UTF-8 \"ISO-8859-1\")] choose\r\n"
    "* OK no code here\r\n"
    "* OK\r\n"
    "+\r\n"
    "+ dGVzdA==\r\n"
    "A1 BAD [PARSE] Unexpected token\r\n";

/// Untagged responses this client does not model; they must be skipped whole.
inline const char* unknown_untagged = "* ENABLED CONDSTORE QRESYNC\r\n"
                                      "* ID (\"name\" \"Dovecot\" \"support-url\" {19}\r\n"
                                      "http://example.org/)\r\n"
                                      "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"
                                      "* VANISHED (EARLIER) 1:3,7\r\n"
                                      "* 3 XFOO {3}\r\n"
                                      "abc (\"x\")\r\n"
                                      "* QUOTAROOT INBOX \"\"\r\n"
                                      "T1 OK done\r\n";

} // namespace imap_mcp::imap::samples
