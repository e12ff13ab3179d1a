// Make mongo-1, mongo-2 and mongo-3 the replica set rs0, once, and wait until
// it has a primary. Run by the mongo-init service of deploy/compose.yaml.

const config = {
  _id: "rs0",
  members: [
    { _id: 0, host: "mongo-1:27017", priority: 2 },
    { _id: 1, host: "mongo-2:27017", priority: 1 },
    { _id: 2, host: "mongo-3:27017", priority: 1 },
  ],
};

function initiated() {
  try {
    rs.status();
    return true;
  } catch (error) {
    if (error.codeName === "NotYetInitialized") {
      return false;
    }
    throw error;
  }
}

if (initiated()) {
  print("rs0 is already initiated");
} else {
  rs.initiate(config);
  print("rs0 initiated");
}

for (let waited = 0; waited < 60; waited += 1) {
  const primary = rs.status().members.find((m) => m.stateStr === "PRIMARY");
  if (primary) {
    print(`primary: ${primary.name}`);
    quit(0);
  }
  sleep(1000);
}
print("no primary after 60 s");
quit(1);
