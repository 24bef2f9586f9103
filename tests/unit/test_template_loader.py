"""The local backend's CloudFormation loader: short forms to long forms, then resolved."""

from __future__ import annotations

from infra.local_backend.intrinsics import Stack, resolve
from infra.local_backend.template import parse_template


def test_loader_turns_short_forms_into_long_forms_and_resolves_them():
    template = parse_template(
        """
Parameters: {Size: {Type: Number, Default: 3}}
Conditions: {Big: !Equals [!Ref Size, 3]}
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-q"
      Joined: !Join ["/", [!Ref AWS::Region, !GetAtt Other.Arn]]
      Picked: !If [Big, !Select [1, !Split [",", "a,b"]], small]
      Gone: !Ref AWS::NoValue
"""
    )
    props = template["Resources"]["Q"]["Properties"]
    assert props["Joined"] == {
        "Fn::Join": ["/", [{"Ref": "AWS::Region"}, {"Fn::GetAtt": ["Other", "Arn"]}]]
    }
    stack = Stack(name="s", region="eu-west-1", parameters={"Size": "3"})
    stack.conditions = {"Big": True}
    stack.attributes["Other"] = {"Arn": "arn:x"}
    assert resolve(props, stack) == {"QueueName": "s-q", "Joined": "eu-west-1/arn:x", "Picked": "b"}
