// The decoded-pixel cap: an image over `maxResolutionInMP` megapixels is refused from its header,
// before any pixel is decoded (a 12000×12000 PNG peaked at 1 GB while decoding), with a DatasetError
// naming the file and its size; JPEGs the same way. Per call or for every decode (data.imageLimits).
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { torch } from '../harness.js';

const { data } = torch;

function png(width: number, height: number): Uint8Array {
  const p = new PNG({ width, height });
  p.data.fill(128);
  return PNG.sync.write(p);
}
/** A PNG that claims width × height in its IHDR and holds no pixel data (the cap must not need any). */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const b = png(1, 1);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  v.setUint32(16, width);
  v.setUint32(20, height);
  return b.subarray(0, 33); // signature + IHDR chunk, nothing after
}
const jpg = (width: number, height: number) =>
  new Uint8Array(jpeg.encode({ width, height, data: Buffer.alloc(width * height * 4, 100) }, 90).data);

afterEach(() => {
  data.imageLimits.maxResolutionInMP = 100;
});

describe('decodeImage pixel cap', () => {
  it('refuses a 12000×12000 PNG from its header, naming the file and its size', () => {
    const f = () => data.decodeImage(pngHeaderOnly(12000, 12000), 'huge.png');
    expect(f).toThrow(data.DatasetError);
    expect(f).toThrow(
      /^cannot decode image 'huge\.png': 12000x12000 is 144\.0 megapixels, over the limit of 100 \(maxResolutionInMP/,
    );
  });
  it('a per-call limit and the global one both apply, to PNG and JPEG', () => {
    const small = png(40, 30),
      smallJpeg = jpg(40, 30);
    expect(data.decodeImage(small, 'a.png').width).toBe(40);
    expect(data.decodeImage(smallJpeg, 'a.jpg').height).toBe(30);
    expect(() => data.decodeImage(small, 'a.png', 'RGB', { maxResolutionInMP: 0.001 })).toThrow(
      /'a\.png': 40x30 is 0\.0 megapixels, over the limit of 0\.001/,
    );
    expect(() => data.decodeImage(smallJpeg, 'a.jpg', 'L', { maxResolutionInMP: 0.001 })).toThrow(
      /'a\.jpg': 40x30 is 0\.0 megapixels, over the limit of 0\.001/,
    );
    data.imageLimits.maxResolutionInMP = 0.001;
    expect(() => data.decodeImage(smallJpeg, 'a.jpg')).toThrow(data.DatasetError);
    expect(data.decodeImage(smallJpeg, 'a.jpg', 'RGB', { maxResolutionInMP: 1 }).width).toBe(40);
  });
  it('a bad limit is an ArgumentError; a non-image a DatasetError naming the file', () => {
    expect(() => data.decodeImage(png(2, 2), 'a.png', 'RGB', { maxResolutionInMP: 0 })).toThrow(torch.ArgumentError);
    expect(() => data.decodeImage(new Uint8Array([1, 2, 3, 4]), 'x.bin')).toThrow(
      /^cannot decode image 'x\.bin': not a PNG or JPEG file/,
    );
  });
});
