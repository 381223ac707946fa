{
  "targets": [
    {
      "target_name": "spaic",
      "sources": [
        "<!@(node -e \"const fs=require('fs');for(const d of ['native/binding','native/cpu','native/core/ops'])for(const f of fs.readdirSync(d).sort())if(f.endsWith('.cpp'))console.log(d+'/'+f)\")",
        "native/core/tensor.cpp",
        "native/core/stdp-trace.cpp",
        "native/core/program.cpp",
        "native/core/cuda-absent.cpp"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "native/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++14", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-fopenmp", "-ffp-contract=off", "-fno-trapping-math"],
      "ldflags": ["-fopenmp"],
      "conditions": [
        ["target_arch=='x64'", {
          "cflags_cc": ["<!(node -p \"(l => l === 'none' ? '-mtune=generic' : '-march=' + l)(process.env.SPAIC_CPU || 'x86-64-v2')\")"],
          "defines": ["SPAIC_CPU_NAME=<!(node -p \"process.env.SPAIC_CPU || 'x86-64-v2'\")"]
        }]
      ]
    }
  ]
}
