from tests.helpers import Ministry, head, relations_and_post


async def test_head_of_post_walks_to_admission(http):
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    assert post["state"] == "open"
    member = await fra.post(f"/v1/posts/{post['id']}/members", head(), expect=201)
    assert member["state"] == "appointed"
    member = await fra.act("members", member["id"], "present-instrument", {})
    assert member["state"] == "awaiting-exequatur"
    member = await wsm.act("members", member["id"], "admit-provisionally")
    assert member["state"] == "provisionally-admitted"
