"""A script written for the official flame-hub-client; the side-by-side test runs it with both libraries.

Usage: ``python scenario.py HUB_URL``. It prints ``done`` when every step passed.
"""

import sys

import flame_hub
from flame_hub.types import FilterOperator

url = sys.argv[1]
auth = flame_hub.auth.PasswordAuth(username="admin", password="start123", base_url=f"{url}/auth/")
auth_client = flame_hub.AuthClient(base_url=f"{url}/auth/", auth=auth)
core_client = flame_hub.CoreClient(base_url=f"{url}/core/", auth=auth)
storage_client = flame_hub.StorageClient(base_url=f"{url}/storage/", auth=auth)

master_realm = auth_client.find_realms(filter={"name": "master"}).pop()
node = core_client.create_node(name="scenario-node", realm_id=master_realm)
core_client.update_node(node, hidden=True)
assert core_client.get_node(node.id).hidden is True
core_client.find_nodes(
    filter={"name": (FilterOperator.like, "node")},
    sort={"by": "created_at", "order": "descending"},
    page={"limit": 10, "offset": 0},
)
core_client.get_nodes()

project = core_client.create_project("scenario-project")
analysis = core_client.create_analysis(project, name="scenario-analysis")
core_client.update_analysis(analysis, description="a description")
core_client.create_project_node(project, node)
core_client.create_analysis_node(analysis, node)
core_client.send_analysis_command(analysis, "storageCheck")
core_client.create_analysis_node_log(analysis, node, "info", "hello world")
core_client.find_analysis_node_logs(filter={"analysis_id": str(analysis.id), "node_id": str(node.id)})
core_client.delete_analysis_node_logs(analysis, node)

bucket = storage_client.create_bucket("scenario-bucket")
files = storage_client.upload_to_bucket(bucket, {"file_name": "a.txt", "content": b"hello"})
assert b"".join(storage_client.stream_bucket_file(files[0])) == b"hello"
assert len(storage_client.find_bucket_files(filter={"bucket_id": str(bucket.id)})) == 1

core_client.delete_node(node)
assert core_client.get_node(node.id) is None
print("done")
