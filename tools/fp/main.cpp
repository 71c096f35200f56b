#include "tools/fp/cli.hpp"

int main(int argc, char** argv) {
  return fp::tools::run(argc, argv);
}
