#include "physics/base/atomic_file.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace radiotwin
{
  void write_file_atomically(const std::string &path, const std::string &content)
  {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
      std::ofstream out(tmp, std::ios::binary);
      out << content;
      out.flush();
      if (!out)
        throw std::runtime_error("cannot write '" + tmp + "'");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      {
        std::remove(tmp.c_str());
        throw std::runtime_error("cannot rename '" + tmp + "' to '" + path + "'");
      }
  }
} // namespace radiotwin
