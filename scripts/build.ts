/**
 * `npm run build`: compiles the package into dist/ exactly as `tsc -p tsconfig.build.json`
 * would, with one transform: statechart `description` texts are left out of the emitted
 * JavaScript. They document the machine for the Stately editor and for readers of
 * machines/*.machine.ts (and stay in the JSON export, `npm run stately`), but they cost every
 * browser bundle ~650 B gzip for text no code reads. Declarations and source maps are unchanged.
 *
 *   node --import tsx scripts/build.ts
 */
import ts from 'typescript';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');


/** `x.createMachine({...})` or `createMachine({...})`: the config literal of a statechart. */
function machineConfigOf(node: ts.Node): ts.ObjectLiteralExpression | undefined {
  if (!ts.isCallExpression(node)) return undefined;
  const callee = node.expression;
  const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : undefined;
  const config = node.arguments[0];
  return name === 'createMachine' && config !== undefined && ts.isObjectLiteralExpression(config) ? config : undefined;
}

const isDescription = (property: ts.ObjectLiteralElementLike): boolean =>
  ts.isPropertyAssignment(property) &&
  (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) &&
  property.name.text === 'description' &&
  ts.isStringLiteralLike(property.initializer);

/** Object literals whose properties are data the machine reads, never state-node or transition keys. */
const DATA_KEYS: ReadonlySet<string> = new Set(['params', 'meta', 'context', 'input', 'output']);

/**
 * Removes every string-literal `description` property of a state node or transition inside a
 * `createMachine(...)` config literal (`params`, `meta`, `context`, `input` and `output` objects
 * are data and kept as they are). Anything outside a machine config is untouched.
 */
export function stripMachineDescriptions(context: ts.TransformationContext): (file: ts.SourceFile) => ts.SourceFile {
  const { factory } = context;
  const stripConfig = (node: ts.Node): ts.Node => {
    if (ts.isPropertyAssignment(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name)) && DATA_KEYS.has(node.name.text)) return node;
    if (ts.isObjectLiteralExpression(node) && node.properties.some(isDescription)) {
      const kept = node.properties.filter((property) => !isDescription(property));
      node = factory.updateObjectLiteralExpression(node, kept);
    }
    return ts.visitEachChild(node, stripConfig, context);
  };
  const visit = (node: ts.Node): ts.Node => {
    const config = machineConfigOf(node);
    if (config) return ts.visitEachChild(node, (child) => (child === config ? stripConfig(child) : visit(child)), context);
    return ts.visitEachChild(node, visit, context);
  };
  return (file) => ts.visitNode(file, visit) as ts.SourceFile;
}

/** The transforms of the published build (also used by bench/lib/bundle.ts, so the bundle is measured as shipped). */
export const BUILD_TRANSFORMERS: ts.CustomTransformers = { before: [stripMachineDescriptions] };

function readBuildConfig(root: string): ts.ParsedCommandLine {
  const buildConfig = resolve(root, 'tsconfig.build.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(buildConfig, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${buildConfig}`);
  return parsed;
}

/**
 * Emits with the build's options and transforms. `only`: emit just these source files (a test
 * checks what one of them becomes), each handed to `write` instead of the disk. `root`: build
 * another copy of the project (test/package packs one in a temp dir).
 */
export function emitBuild(only?: { files: string[]; write: (fileName: string, text: string) => void }, root: string = projectRoot): readonly ts.Diagnostic[] {
  const config = readBuildConfig(root);
  const program = ts.createProgram({ rootNames: only ? only.files.map((f) => resolve(root, f)) : config.fileNames, options: config.options });
  if (only) {
    const diagnostics: ts.Diagnostic[] = [];
    for (const file of only.files) {
      const source = program.getSourceFile(resolve(root, file));
      if (!source) throw new Error(`${file} is not part of the build`);
      diagnostics.push(...program.emit(source, only.write, undefined, false, BUILD_TRANSFORMERS).diagnostics);
    }
    return diagnostics;
  }
  const emitted = program.emit(undefined, undefined, undefined, false, BUILD_TRANSFORMERS);
  return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const diagnostics = emitBuild();
  if (diagnostics.length > 0) {
    const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => projectRoot, getNewLine: () => '\n' };
    process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
    if (diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error)) process.exit(1);
  }
}
