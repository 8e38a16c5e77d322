{
  "targets": [
    {
      "target_name": "tidal_recurrence",
      "sources": ["src/addon.c", "src/kernels_generic.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"],
      "conditions": [
        ["target_arch=='x64'", {
          "dependencies": ["tidal_kernels_avx2"],
          "defines": ["TIDAL_HAVE_AVX2=1"]
        }]
      ]
    },
    {
      "target_name": "tidal_kernels_avx2",
      "type": "static_library",
      "sources": ["src/kernels_avx2.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra", "-fPIC"],
      "conditions": [
        ["target_arch=='x64'", {
          "cflags": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CFLAGS": ["-mavx2", "-mfma"] }
        }]
      ]
    }
  ]
}
