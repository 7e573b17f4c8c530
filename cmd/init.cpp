#include <iostream>

#include "cli.hpp"
#include "output.hpp"

namespace mlake::cli {

Runner
setup_init(CLI::App& app)
{
  auto dir = std::make_shared<std::string>(".");
  app.add_option("DIR", *dir, "Folder to make a lake of (default: here)");
  return [dir](Context& ctx) {
    auto lake = lake::Lake::init(ctx.cwd / *dir);
    const auto& who = lake.config().user;
    if (ctx.globals.json) {
      print_json({{"lake", lake.dir().string()},
                  {"root", lake.root().string()},
                  {"user", {{"name", who.name}, {"email", who.email}}}});
    } else if (!ctx.globals.quiet) {
      std::cout << "Initialised an empty lake in " << lake.dir().string()
                << "\nNodes will be recorded as " << who.name << " <"
                << who.email << "> (change it in .mlake/config.yaml)\n";
    }
    return 0;
  };
}

} // namespace mlake::cli
