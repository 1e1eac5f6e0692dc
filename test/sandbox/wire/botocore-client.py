"""CloudWatch, STS and DynamoDB through boto3 (botocore signs), against the sandbox edge in argv[1].

CloudWatch is called in each wire protocol botocore speaks for it (JSON 1.0, Smithy RPC v2 CBOR, query),
by narrowing botocore's protocol preference before each client is made. Prints one JSON object: per call,
the content type botocore sent and either the result's gist or the error code. argv[2] is the secret to
sign with (a wrong one must be refused).
"""
import json
import sys

import boto3
import botocore.model

edge, secret = sys.argv[1], sys.argv[2]
session = boto3.session.Session(
    aws_access_key_id="sandbox", aws_secret_access_key=secret, region_name="ap-northeast-1"
)
report = {}


def call(name, client, operation, **params):
    sent = {}

    def record(request, **_):
        sent["contentType"] = request.headers.get("Content-Type", b"")
        if isinstance(sent["contentType"], bytes):
            sent["contentType"] = sent["contentType"].decode()

    client.meta.events.register("before-send", record)
    try:
        result = getattr(client, operation)(**params)
        result.pop("ResponseMetadata", None)
        report[name] = {"ok": True, "contentType": sent.get("contentType"), "result": result}
    except client.exceptions.ClientError as error:
        report[name] = {"ok": False, "contentType": sent.get("contentType"), "code": error.response["Error"]["Code"]}


# A value with characters the canonical forms must encode: space, slash, tilde, star, plus, non-ASCII.
DIMENSION = {"Name": "Room Name", "Value": "a b/c~d*e+f 방"}
for protocol in ("json", "smithy-rpc-v2-cbor", "query"):
    botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = (protocol,)
    cloudwatch = session.client("cloudwatch", endpoint_url=edge)
    namespace = f"Test/{protocol}"
    call(f"{protocol}:PutMetricData", cloudwatch, "put_metric_data", Namespace=namespace,
         MetricData=[{"MetricName": "Sent Messages", "Value": 3.0, "Dimensions": [DIMENSION]}])
    call(f"{protocol}:ListMetrics", cloudwatch, "list_metrics", Namespace=namespace)
    metrics = report[f"{protocol}:ListMetrics"].get("result", {}).get("Metrics", [])
    report[f"{protocol}:ListMetrics"]["result"] = [[m["MetricName"], m.get("Dimensions")] for m in metrics]
    call(f"{protocol}:DescribeAlarms", cloudwatch, "describe_alarms", MaxRecords=5)
    report[f"{protocol}:DescribeAlarms"].pop("result", None)

botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = ("json", "rest-json", "rest-xml", "query")
call("sts:GetCallerIdentity", session.client("sts", endpoint_url=edge), "get_caller_identity")
call("dynamodb:ListTables", session.client("dynamodb", endpoint_url=edge), "list_tables")
print(json.dumps(report, default=str))
