{
  "targets": [
    {
      "target_name": "tidal_recurrence",
      "sources": [
        "src/addon.c",
        "src/gemm.c",
        "src/lstm.c",
        "src/gru.c",
        "src/seq.c"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-march=native", "-std=c11", "-Wall", "-Wextra"]
    }
  ]
}
