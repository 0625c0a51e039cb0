// Loads the program the way the Pulumi CLI's Node.js language host does for a CommonJS project
// (@pulumi/pulumi 3.x, cmd/run/run.js): ts-node (the project's, else the 7.0.1 @pulumi/pulumi
// vendors) registered with the project's typescript (else the vendored 3.8.3) and tsconfig.json,
// type-checking unless the tsconfig says noCheck. Then it runs index.ts for the stack given as
// argv[2] under Pulumi's mocks (support/program.ts), with argv[3] as codeZip, and prints
// {typescript, tsNode, outputs} as JSON. Plain JavaScript: nothing can be compiled before ts-node is.

const path = require("node:path");

const programDir = path.resolve(__dirname, "../..");
process.chdir(programDir);
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const tsutils = require(path.join(pulumiDir, "tsutils"));

const tsConfigPath = "tsconfig.json";
const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
const ts = require(typescriptRequire);
const [major, minor] = ts.version.split(".").map(Number);
const useNodeNext = major > 4 || (major === 4 && minor >= 7);
require(tsnodeRequire).register({
    compiler: typescriptRequire,
    transpileOnly: compilerOptions.noCheck,
    project: tsConfigPath,
    skipProject: false,
    compilerOptions: {
        target: "ES2020",
        module: useNodeNext ? "nodenext" : "commonjs",
        moduleResolution: useNodeNext ? "nodenext" : "node",
        sourceMap: "true",
        ...compilerOptions,
    },
});

const { runProgram } = require("./program");
const { programConfig } = require("./pulumiCli");

const [stack, codeZip] = process.argv.slice(2);
runProgram(stack, programConfig(stack, { codeZip })).then((run) => {
    const tsNode = path.relative(programDir, require.resolve(tsnodeRequire));
    process.stdout.write(JSON.stringify({ typescript: ts.version, tsNode, outputs: run.outputs }));
});
