// Loads the Unity package's ZmqGameWebSocket.jslib as it is, outside an Emscripten build: its {{{ makeDynCall }}}
// macros become plain calls of the functions registered with ZmqGameWebSocket_SetCallbacks, and the Emscripten helpers it
// uses (_malloc, _free, HEAPU8, UTF8 strings, mergeInto, autoAddDeps) are given a small heap of blocks by address.
const blocks = new Map();
let next = 16;

export const heap = {
  malloc(size) {
    const pointer = next;
    next += size + 16;
    blocks.set(pointer, new Uint8Array(size));
    return pointer;
  },
  free(pointer) {
    blocks.delete(pointer);
  },
  put(bytes) {
    const pointer = heap.malloc(bytes.length);
    blocks.get(pointer).set(bytes);
    return pointer;
  },
  read(pointer, length) {
    return blocks.get(pointer).slice(0, length);
  },
  string(pointer) {
    return typeof pointer === "string" ? pointer : blocks.get(pointer);
  }
};

const HEAPU8 = {
  set(bytes, pointer) {
    blocks.get(pointer).set(bytes);
  },
  slice(pointer, end) {
    return blocks.get(pointer).slice(0, end - pointer);
  }
};

export async function loadJslib(url) {
  const source = await (await fetch(url)).text();
  const body = source.replace(/\{\{\{\s*makeDynCall\('\w+',\s*'([^']+)'\)\s*\}\}\}/g, "($1)")
    + "\nvar ZmqGameSockets = LibraryManager.library.$ZmqGameSockets;\nreturn LibraryManager.library;";
  const LibraryManager = { library: {} };
  const mergeInto = (target, library) => Object.assign(target, library);
  const autoAddDeps = () => {};
  const lengthBytesUTF8 = text => new TextEncoder().encode(text).length;
  const stringToUTF8 = (text, pointer) => blocks.set(pointer, text);
  const UTF8ToString = pointer => heap.string(pointer);
  const load = new Function("LibraryManager", "mergeInto", "autoAddDeps", "_malloc", "_free", "HEAPU8",
    "lengthBytesUTF8", "stringToUTF8", "UTF8ToString", body);
  return load(LibraryManager, mergeInto, autoAddDeps, heap.malloc, heap.free, HEAPU8, lengthBytesUTF8, stringToUTF8, UTF8ToString);
}
