// Leaks LeakSanitizer reports in libraries mlake uses, not in mlake: a
// sanitized build (-DMLAKE_SANITIZE=ON) would fail on them otherwise.
// Without the sanitizer, nothing calls this function.

extern "C" const char*
__lsan_default_suppressions()
{
  // libgit2 1.5 does not free the match data of the PCRE2 regexes it
  // compiles for its config lookups (remote URLs, includeIf).
  return "leak:libpcre2-8.so\n";
}
