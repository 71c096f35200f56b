#include "cluster/node.hpp"

int main(int argc, char** argv) {
  return fp::cluster::fpnode_main(argc, argv);
}
