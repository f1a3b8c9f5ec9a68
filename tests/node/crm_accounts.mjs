// Zoho's official Node.js SDK for CRM v8, unmodified, against a running `zohosim serve`.
//
// Usage: node crm_accounts.mjs <base-url> <workdir>   (credentials in the environment:
// ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN).  Only the SDK's Environment points
// at the simulator: its API URL, its accounts (token) URL and its file-upload URL.  Prints one
// JSON object: what each step saw.  tests/test_sdk_node.py runs it and checks the simulator too.
import * as ZOHOCRMSDK from "@zohocrm/nodejs-sdk-8.0";
import path from "node:path";

const [base, workdir] = process.argv.slice(2);
const { Record } = ZOHOCRMSDK;
const NAME = "Zylker Node SDK Test";

async function initialize() {
  const environment = new ZOHOCRMSDK.Environment(base, `${base}/oauth/v2/token`, base);
  const token = new ZOHOCRMSDK.OAuthBuilder()
    .clientId(process.env.ZOHO_CLIENT_ID)
    .clientSecret(process.env.ZOHO_CLIENT_SECRET)
    .refreshToken(process.env.ZOHO_REFRESH_TOKEN)
    .build();
  const logger = new ZOHOCRMSDK.LogBuilder()
    .level(ZOHOCRMSDK.Levels.INFO)
    .filePath(path.join(workdir, "sdk.log"))
    .build();
  const config = new ZOHOCRMSDK.SDKConfigBuilder().autoRefreshFields(false).pickListValidation(false).build();
  await (await new ZOHOCRMSDK.InitializeBuilder())
    .environment(environment)
    .token(token)
    .store(new ZOHOCRMSDK.FileStore(path.join(workdir, "sdk_tokens.txt")))
    .SDKConfig(config)
    .resourcePath(workdir)
    .logger(logger)
    .initialize();
  return token;
}

async function params(values) {
  const map = new ZOHOCRMSDK.ParameterMap();
  for (const [param, value] of values) {
    await map.add(param, value);
  }
  return map;
}

/** The action results of a write, or the error the SDK parsed. */
function outcomes(response) {
  const body = response.getObject();
  if (!(body instanceof Record.ActionWrapper)) {
    throw new Error(`expected an ActionWrapper, got ${JSON.stringify(body)}`);
  }
  return body.getData().map((item) => ({
    status: item.getStatus().getValue(),
    code: item.getCode().getValue(),
    id: item.getDetails() ? String(item.getDetails().get("id")) : null,
  }));
}

function rows(response) {
  if (response.getStatusCode() === 204) {
    return [];
  }
  const body = response.getObject();
  if (!(body instanceof Record.ResponseWrapper)) {
    throw new Error(`expected a ResponseWrapper, got ${JSON.stringify(body)}`);
  }
  return body.getData();
}

async function main() {
  const result = {};
  const token = await initialize();
  result.access_token = await token.getToken();

  const accounts = new Record.RecordOperations("Accounts");
  const listed = await accounts.getRecords(
    await params([
      [Record.GetRecordsParam.FIELDS, "Account_Name,Phone"],
      [Record.GetRecordsParam.PER_PAGE, 200],
    ]),
  );
  result.list = {
    status: listed.getStatusCode(),
    names: rows(listed).map((record) => record.getKeyValue("Account_Name")),
  };

  const fresh = new Record.Record();
  fresh.addFieldValue(Record.Field.Accounts.ACCOUNT_NAME, NAME);
  fresh.addFieldValue(Record.Field.Accounts.PHONE, "555-0100");
  const createBody = new Record.BodyWrapper();
  createBody.setData([fresh]);
  const created = await accounts.createRecords(createBody);
  result.create = { status: created.getStatusCode(), outcomes: outcomes(created) };
  const id = result.create.outcomes[0].id;

  const change = new Record.Record();
  change.addFieldValue(Record.Field.Accounts.PHONE, "555-0199");
  const updateBody = new Record.BodyWrapper();
  updateBody.setData([change]);
  const updated = await accounts.updateRecord(BigInt(id), updateBody);
  result.update = { status: updated.getStatusCode(), outcomes: outcomes(updated) };

  const found = await accounts.searchRecords(
    await params([[Record.SearchRecordsParam.CRITERIA, `(Account_Name:equals:${NAME})`]]),
  );
  result.search = {
    status: found.getStatusCode(),
    hits: rows(found).map((record) => ({ id: String(record.getId()), phone: record.getKeyValue("Phone") })),
  };

  const contacts = await new Record.RecordOperations("Contacts").getRecords(
    await params([[Record.GetRecordsParam.FIELDS, "Last_Name,Account_Name"]]),
  );
  const linked = rows(contacts).find((record) => record.getKeyValue("Account_Name") != null);
  const lookup = linked.getKeyValue("Account_Name");
  result.contact = {
    id: String(linked.getId()),
    account_id: String(lookup.getId()),
    account_name: lookup.getKeyValue("name"),
  };

  const deleted = await accounts.deleteRecords(await params([[Record.DeleteRecordsParam.IDS, id]]));
  result.delete = { status: deleted.getStatusCode(), outcomes: outcomes(deleted) };
  const after = await accounts.searchRecords(
    await params([[Record.SearchRecordsParam.CRITERIA, `(Account_Name:equals:${NAME})`]]),
  );
  result.search_after_delete = { status: after.getStatusCode() };

  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? ""}\n${JSON.stringify(error, null, 1)}\n`);
  process.exit(1);
});
