/**
 * A `file://` save/load handler for plain @tensorflow/tfjs in Node (only tfjs-node ships one),
 * writing the same layout tfjs-node does: model.json (topology + weights manifest) and
 * weights.bin. Registered on import unless a handler for file:// already exists (tfjs-node).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SCHEME = 'file://';
const WEIGHTS_FILE = 'weights.bin';

/** The folder a file:// URL names (a URL ending in model.json names its folder). */
function folderOf(url: string): string {
  const path = url.slice(SCHEME.length);
  return path.endsWith('.json') ? dirname(path) : path;
}

function fileSaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts) {
      mkdirSync(dir, { recursive: true });
      const weightData = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
      };
      if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      writeFileSync(join(dir, WEIGHTS_FILE), new Uint8Array(weightData));
      writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(modelJson) };
    },
  };
}

function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load() {
      const jsonPath = join(dir, 'model.json');
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (err) {
        throw new Error(`cannot read model checkpoint ${jsonPath}: ${(err as Error).message}`);
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = manifest.flatMap((group) =>
          group.paths.map((p) => {
            const bytes = readFileSync(join(dir, p));
            return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
          }),
        );
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

/** A router answers null for URLs it does not handle (tfjs's IORouter type omits the null). */
function router(handler: (dir: string) => tf.io.IOHandler): (url: string | string[]) => tf.io.IOHandler {
  return (url) => (typeof url === 'string' && url.startsWith(SCHEME) ? handler(folderOf(url)) : (null as unknown as tf.io.IOHandler));
}

/** Registers the handlers once; a no-op when file:// already has handlers (tfjs-node loaded). */
export function registerFileIo(): void {
  if (tf.io.getSaveHandlers(`${SCHEME}probe`).length > 0) return;
  tf.io.registerSaveRouter(router(fileSaveHandler));
  tf.io.registerLoadRouter(router(fileLoadHandler));
}

registerFileIo();
