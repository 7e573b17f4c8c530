#include <mlake/lake/maintenance.hpp>
#include <mlake/util/error.hpp>

#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

Runner
setup_fsck(CLI::App&)
{
  return [](Context& ctx) {
    auto report = lake::fsck(*ctx.lake, ctx.progress);
    const bool sound = report.faults.empty();
    if (ctx.globals.json) {
      json faults = json::array();
      for (const auto& f : report.faults) {
        faults.push_back(
            {{"kind", f.kind}, {"target", f.target}, {"message", f.message}});
      }
      print_json({{"ok", sound},
                  {"objects", report.objects},
                  {"bytes", report.bytes},
                  {"nodes", report.nodes},
                  {"heads", report.heads},
                  {"unreferenced", report.unreferenced},
                  {"temporary", report.temporary},
                  {"not_downloaded", report.not_downloaded},
                  {"purged", report.purged},
                  {"purged_stored", report.purged_stored},
                  {"faults", faults}});
    } else {
      for (const auto& f : report.faults) {
        std::cerr << "fault: " << f.kind << " " << f.target << ": " << f.message
                  << "\n";
      }
      if (!ctx.globals.quiet) {
        std::cout << "checked " << report.objects << " object(s) ("
                  << human_size(report.bytes) << ") and " << report.nodes
                  << " node(s): "
                  << (sound
                          ? "no faults"
                          : std::to_string(report.faults.size()) + " fault(s)")
                  << "\n";
        if (report.unreferenced || report.temporary) {
          std::cout << report.unreferenced << " unreferenced object(s) and "
                    << report.temporary
                    << " leftover temporary file(s) from interrupted work; "
                       "'mlake gc' removes them"
                    << (sound ? "" : " once the faults are repaired") << "\n";
        }
        if (report.not_downloaded) {
          std::cout << report.not_downloaded
                    << " object(s) named by the history are on a remote, not "
                       "downloaded here; 'mlake pull' takes them\n";
        }
        if (report.purged) {
          std::cout << report.purged
                    << " object(s) were erased by 'mlake purge', as the "
                       "history records\n";
        }
        if (report.purged_stored) {
          std::cout << report.purged_stored
                    << " object(s) erased by 'mlake purge' are still stored "
                       "(the purge was interrupted); 'mlake gc' removes them\n";
        }
      }
    }
    return sound ? 0 : int(Exit::integrity);
  };
}

} // namespace mlake::cli
