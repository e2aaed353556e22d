// finetorch is an ES module that finishes initialising the WebGPU device with a top-level await, which
// `require()` cannot wait for. CommonJS code loads it with a dynamic import instead.
throw Object.assign(
  new Error(
    'finetorch is an ES module (it awaits the WebGPU device at import) and cannot be require()d. ' +
      "From CommonJS use: const torch = await import('finetorch');",
  ),
  { code: 'ERR_REQUIRE_ESM' },
);
