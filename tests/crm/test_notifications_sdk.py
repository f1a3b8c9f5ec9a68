"""The official CRM SDK's ``NotificationsOperations`` (``zohocrmsdk8-0``), unmodified, against
``zohosim serve``: enable a channel, receive a callback at a local receiver, list, then delete."""

from __future__ import annotations

import pytest

from tests.receiver import Receiver
from tests.support import ZohoClient

pytest.importorskip("zohocrmsdk.src.com.zoho.crm.api.notifications", reason="zohocrmsdk8-0 is not installed")

from zohocrmsdk.src.com.zoho.crm.api import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.notifications import (
    ActionWrapper,
    BodyWrapper,
    DeleteNotificationParam,
    Notification,
    NotificationsOperations,
    ResponseWrapper,
)

from tests.test_sdk_crm import sdk_ready  # noqa: F401 - the fixture that points the SDK here

pytestmark = pytest.mark.server
CHANNEL = "1000000068001"


def test_sdk_enables_lists_and_deletes_a_channel(sdk_ready: ZohoClient) -> None:  # noqa: F811
    zoho, ops = sdk_ready, NotificationsOperations()
    with Receiver() as receiver:
        notification = Notification()
        notification.set_channel_id(CHANNEL)
        notification.set_events(["Accounts.create"])
        notification.set_notify_url(receiver.url + "/sdk")
        notification.set_token("SDK_TOKEN")
        body = BodyWrapper()
        body.set_watch([notification])
        enabled = ops.enable_notifications(body)
        assert enabled.get_status_code() == 201
        wrapper = enabled.get_object()
        assert isinstance(wrapper, ActionWrapper)
        assert [item.get_status().get_value() for item in wrapper.get_watch()] == ["success"]

        created = zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "SDK Watched"}]})
        record_id = created.json()["data"][0]["details"]["id"]
        assert zoho.control("POST", "/notifications/flush").json()["drained"]
        (callback,) = receiver.bodies()
        assert (callback["ids"], callback["token"], callback["operation"]) == (
            [record_id],
            "SDK_TOKEN",
            "insert",
        )

    listed = ops.get_notifications(ParameterMap())
    assert listed.get_status_code() == 200
    channels = listed.get_object()
    assert isinstance(channels, ResponseWrapper)
    assert [(n.get_channel_id(), n.get_resource_name()) for n in channels.get_watch()] == [
        (CHANNEL, "Accounts")
    ]

    params = ParameterMap()
    params.add(DeleteNotificationParam.channel_ids, CHANNEL)
    deleted = ops.delete_notification(params)
    assert deleted.get_status_code() == 200
    assert ops.get_notifications(ParameterMap()).get_status_code() == 204
