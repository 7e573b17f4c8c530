#include "cli.hpp"

int
main(int argc, char** argv)
{
  return mlake::cli::run(argc, argv);
}
