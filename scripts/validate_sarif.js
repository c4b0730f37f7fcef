#!/usr/bin/env node
// Validates SARIF logs two ways, with the tools scripts/setup.sh installs:
//  - schema: the official SARIF 2.1.0 JSON schema (the copy the
//    sarif-multitool npm package ships, JSON Schema 2020-12), applied by ajv
//    with its string formats (uri, date-time, uuid) checked;
//  - multitool: Microsoft's SARIF validator (`Sarif.Multitool validate`),
//    which also checks what a schema cannot (a ruleIndex past the rules, an
//    endLine before the startLine, a message id no rule defines).
// The multitool's exit code says nothing about the log (0 with errors, and 1
// for any log with --rich-return-code), so its own SARIF output is read:
// every `error` result fails, and every `warning` but the ones allowed below.
// It does not apply the schema's enums (it accepts level "fatal"): the schema
// pass does.
//
// Usage: node validate_sarif.js [--only schema|multitool] TOOLS_DIR FILE...
// Exit 0: every file valid; 1: a file is invalid (each problem printed);
// 2: the tools are missing or cannot run, or a file is not JSON.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const {spawnSync} = require('child_process');

// Warnings accepted, with why:
// SARIF2005 asks for tool.driver.informationUri; luv has no public home page.
const ALLOWED_WARNINGS = new Set(['SARIF2005']);

let args = process.argv.slice(2);
let only = null;
if (args[0] === '--only') {
  only = args[1];
  args = args.slice(2);
  if (only !== 'schema' && only !== 'multitool') {
    console.error(`validate_sarif: --only: '${only}' is not schema or multitool`);
    process.exit(2);
  }
}
const [tools, ...files] = args;
if (!tools || files.length === 0) {
  console.error('usage: validate_sarif.js [--only schema|multitool] TOOLS_DIR FILE...');
  process.exit(2);
}
const modules = path.resolve(tools, 'node_modules');
const multitoolDir = path.join(modules, '@microsoft/sarif-multitool-linux');

function missing(what, e) {
  console.error(`validate_sarif: ${what} missing under ${modules} (run scripts/setup.sh): ${e.message.split('\n')[0]}`);
  process.exit(2);
}

// Returns the problems found in `file` by the schema.
function schemaProblems(file, log) {
  let Ajv2020, addFormats, schema;
  try {
    Ajv2020 = require(path.join(modules, 'ajv/dist/2020')).default;
    addFormats = require(path.join(modules, 'ajv-formats')).default;
    schema = JSON.parse(fs.readFileSync(path.join(multitoolDir, 'sarif-2.1.0.json'), 'utf8'));
  } catch (e) {
    missing('ajv, ajv-formats or sarif-2.1.0.json', e);
  }
  // strict: false, because the schema's annotations are not ajv keywords;
  // allErrors, to report every problem at once.
  const ajv = new Ajv2020({strict: false, allErrors: true});
  addFormats(ajv);
  const validate = ajv.compile(schema);
  if (validate(log)) return [];
  return validate.errors.map(e => `schema: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

// Returns the problems Sarif.Multitool finds in `file`; prints its notes.
function multitoolProblems(file) {
  const exe = path.join(multitoolDir, 'Sarif.Multitool');
  if (!fs.existsSync(exe)) missing('Sarif.Multitool', new Error(`no ${exe}`));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luv-sarif-'));
  const out = path.join(dir, 'validation.sarif');
  try {
    // Invariant globalization: no dependency on the machine's ICU.
    const env = Object.assign({}, process.env, {DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1',
                                                DOTNET_CLI_TELEMETRY_OPTOUT: '1'});
    const r = spawnSync(exe, ['validate', '-o', out, path.resolve(file)], {env, encoding: 'utf8'});
    if (r.error || !fs.existsSync(out)) {
      console.error(`validate_sarif: Sarif.Multitool did not run (${r.error ? r.error.message : 'no output'}):\n` +
                    `${r.stdout || ''}${r.stderr || ''}`);
      process.exit(2);
    }
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    const run = report.runs[0];
    const invocation = (run.invocations || [])[0] || {};
    const problems = [];
    if (invocation.executionSuccessful !== true) problems.push('multitool: the validation did not complete');
    for (const n of invocation.toolExecutionNotifications || [])
      if (n.level === 'error') problems.push(`multitool: ${n.message.text}`);
    for (const res of run.results || []) {
      const level = res.level || 'warning';
      const rule = (run.tool.driver.rules || []).find(x => x.id === res.ruleId);
      let text = res.message.text;
      if (text === undefined && rule && rule.messageStrings && rule.messageStrings[res.message.id]) {
        text = rule.messageStrings[res.message.id].text.replace(/\{(\d+)\}/g, (_, i) => res.message.arguments[+i]);
      }
      const line = `multitool: ${level} ${res.ruleId}: ${text}`;
      if (level === 'error' || (level === 'warning' && !ALLOWED_WARNINGS.has(res.ruleId))) problems.push(line);
      else console.log(`${file}: (accepted) ${line}`);
    }
    return problems;
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

let invalid = 0;
for (const file of files) {
  let log;
  try {
    log = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`${file}: cannot read as JSON: ${e.message}`);
    process.exit(2);
  }
  const problems = [];
  if (only !== 'multitool') problems.push(...schemaProblems(file, log));
  if (only !== 'schema') problems.push(...multitoolProblems(file));
  const how = only ? `(${only} only)` : '(schema and multitool)';
  if (problems.length === 0) {
    console.log(`${file}: valid SARIF 2.1.0 ${how}`);
  } else {
    ++invalid;
    for (const p of problems) console.log(`${file}: ${p}`);
  }
}
process.exit(invalid ? 1 : 0);
