"""The agent opens a photo a Telegram or WeChat customer sent full size inside the console, in a real browser against
the real stack (the platforms' stand-ins hold the files): before, the thumbnail opened the photo in a new browser
tab, away from the chat and the reply box; the customer's chat already had its viewer (web/common/viewer.js now
serves both)."""

from __future__ import annotations

import pytest

from tests.browser import DESKTOP, WAIT, assert_accessible, expect, shot, staff_page
from tests.clients import AgentClient
from tests.test_channel_attachments import customer_lines, photo_of, png
from tests.test_channel_telegram import _attachment_update, claimed_chat, conversation_of
from tests.test_channel_wechat import _push_xml, follower


def open_chat(agent, cid: str) -> None:
    agent.locator(f"#mine li[data-cid='{cid}'] button.item").click(timeout=WAIT)


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chats from the queue
def test_the_agent_sees_a_channel_customers_photo_full_size_in_the_console(settings, hub, agents, channels_hub, telegram_api, telegram_secret,
                                                                           wechat_api, browser):
    """A Telegram customer's photo of the crack and a WeChat follower's photo of the parcel: each thumbnail opens the
    photo full size over the console (no new tab), labelled in the agent's language; Escape, the close button or a
    click beside it closes it, and the keyboard is back on the thumbnail it opened from."""
    user, alice, tg_cid = claimed_chat(settings, hub, channels_hub, telegram_api, telegram_secret, "Ann", "alice")
    crack = png(300, 200, (200, 30, 30))
    assert user.post(_attachment_update(user, photo=photo_of(telegram_api.add_file(crack, "photos/file_71.png")))).status_code == 200
    customer_lines(settings, tg_cid, 1)
    f = follower(channels_hub)
    assert "转接人工" in f.reply_text(f.push(f.text_xml("我要转人工")[0], encrypted=True))
    wx_cid = conversation_of(settings, "wechat", f.openid)
    assert alice.post(f"/conversations/{wx_cid}/claim").status_code == 200
    parcel = png(120, 90, (20, 120, 200))
    f.push(_push_xml(f, "image", PicUrl=f"{wechat_api.url}/mmbiz_jpg/parcel/9", MediaId=wechat_api.add_media(parcel, "image/png", "parcel.png")), encrypted=True)
    customer_lines(settings, wx_cid, 1)

    console, agent = staff_page(browser, channels_hub, "/console", "alice", DESKTOP)
    open_chat(agent, tg_cid)
    thumb = agent.locator("#transcript .msg.customer .attachment-thumb img")
    agent.wait_for_function("(img) => img.complete && img.naturalWidth === 300", arg=thumb.element_handle(timeout=WAIT))
    opener = agent.get_by_role("button", name="Photo the customer sent: view full size")
    opener.click()
    viewer = agent.get_by_role("dialog", name="Photo the customer sent")
    expect(viewer).to_be_visible()
    agent.wait_for_function("() => { const img = document.querySelector('dialog.viewer img'); return img.complete && img.naturalWidth === 300; }")
    big = viewer.locator("img").bounding_box()
    assert big["width"] == 300 and big["height"] == 200, big  # its own size, where the thumbnail is bounded
    assert len(console.pages) == 1  # no new tab
    assert_accessible(agent, "console with a Telegram customer's photo full size")
    shot(agent, "console-telegram-photo-full-size")
    viewer.get_by_role("button", name="Close the picture").click()
    expect(viewer).to_be_hidden()
    assert agent.evaluate("() => document.activeElement.classList.contains('attachment-thumb')")
    agent.keyboard.press("Enter")
    expect(viewer).to_be_visible()
    agent.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    assert agent.evaluate("() => document.activeElement.classList.contains('attachment-thumb')")

    agent.locator("header .ui-lang-select").select_option("zh")  # in the agent's language
    open_chat(agent, wx_cid)
    opener = agent.get_by_role("button", name="顾客发来的图片：查看大图")
    expect(opener).to_be_visible(timeout=WAIT)
    agent.wait_for_function("() => { const img = document.querySelector('#transcript .attachment-thumb img'); return img && img.complete && img.naturalWidth > 0; }")
    opener.focus()
    agent.keyboard.press(" ")
    viewer = agent.get_by_role("dialog", name="顾客发来的图片")
    expect(viewer).to_be_visible()
    expect(viewer.get_by_role("button", name="关闭图片")).to_be_focused()
    served = viewer.locator("img").evaluate("async (img) => Array.from(new Uint8Array(await (await fetch(img.src)).arrayBuffer()))")
    assert bytes(served) == parcel
    assert_accessible(agent, "console with a WeChat follower's photo full size (zh)")
    agent.mouse.click(5, DESKTOP["height"] - 5)  # beside the picture
    expect(viewer).to_be_hidden()
    assert agent.evaluate("() => document.activeElement.classList.contains('attachment-thumb')")
    console.close()
