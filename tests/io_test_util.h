// Helpers shared by the io tests: scratch directories, raw file writing, PNG fixtures made
// with libpng directly (so they do not depend on the code under test), and error checks.
#pragma once

#include <gtest/gtest.h>
#include <png.h>
#include <stdlib.h>

#include <csetjmp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/errors.h"

namespace lbb::test {

// A fresh directory under $TMPDIR, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lbb_io_test_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_raw(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write test fixture " + path);
}

inline void write_text(const std::string& path, const std::string& text) {
  write_raw(path, std::vector<uint8_t>(text.begin(), text.end()));
}

inline std::vector<uint8_t> read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string read_text(const std::string& path) {
  const std::vector<uint8_t> bytes = read_raw(path);
  return std::string(bytes.begin(), bytes.end());
}

inline std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Writes a PNG with libpng's simplified API. `format` is a PNG_FORMAT_* value; `samples`
// holds h*w*channels interleaved values (uint16 for PNG_FORMAT_FLAG_LINEAR formats, which
// libpng writes as 16-bit). For colormap formats, `colormap` holds the palette entries.
inline void write_fixture_png(const std::string& path, uint32_t format, uint32_t h, uint32_t w,
                              const void* samples, const void* colormap = nullptr,
                              uint32_t colormap_entries = 0) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = w;
  image.height = h;
  image.format = format;
  image.colormap_entries = colormap_entries;
  if (!png_image_write_to_file(&image, path.c_str(), 0, samples, 0, colormap)) {
    throw std::runtime_error(std::string("fixture PNG: ") + image.message);
  }
}

// Writes a PNG with the classic API: any bit depth / color type / interlace.
// `rows` are h row pointers of packed samples in PNG's own layout.
inline bool write_fixture_png_classic_impl(FILE* fp, uint32_t w, uint32_t h, int bit_depth,
                                           int color_type, int interlace, png_bytepp rows,
                                           bool gray_key_transparency) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, fp);
  png_set_IHDR(png, info, w, h, bit_depth, color_type, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_color_16 key{};
  if (gray_key_transparency) png_set_tRNS(png, info, nullptr, 0, &key);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

inline void write_fixture_png_classic(const std::string& path, uint32_t w, uint32_t h,
                                      int bit_depth, int color_type, int interlace,
                                      std::vector<std::vector<uint8_t>>& rows,
                                      bool gray_key_transparency = false) {
  std::vector<png_bytep> pointers;
  for (auto& row : rows) pointers.push_back(row.data());
  FILE* fp = std::fopen(path.c_str(), "wb");
  if (fp == nullptr) throw std::runtime_error("cannot open " + path);
  const bool ok =
      write_fixture_png_classic_impl(fp, w, h, bit_depth, color_type, interlace, pointers.data(),
                                     gray_key_transparency);
  std::fclose(fp);
  if (!ok) throw std::runtime_error("fixture PNG (classic) failed: " + path);
}

// Runs `fn`, which must throw InputError whose message contains every one of `parts`.
inline void expect_input_error(const std::function<void()>& fn,
                               std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "expected InputError containing '" << *parts.begin() << "'";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos)
          << "message '" << message << "' lacks '" << part << "'";
    }
  }
}

}  // namespace lbb::test
