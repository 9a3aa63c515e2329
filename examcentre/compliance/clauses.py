"""The regulation's own words for each rule, quoted in reports.

Source: 附件2《起重机操作人员考试机构基本要求》(``shared/spec/regulation-zh.md``). The source
repeats the label (二) for both personnel and equipment; labels here follow
compliance-rules.md, which writes the second one as (二)[三].
"""

from __future__ import annotations

CLAUSE_TEXT: dict[str, str] = {
    "三(一)": (
        "（一）机构 应设立专门负责考试工作的常设的组织管理部门，并配备固定通讯设施和办公场所。"
    ),
    "三(二)1": (
        "1. 专职人员不少于3名，负责考试机构的日常考试组织管理工作，办理有关受理并审查考试申请资料、"
        "完成考试及考试档案管理与发证部门衔接等工作；"
    ),
    "三(二)2": (
        "2. 应至少配备起重机械司机、指挥专业考评人员各2名（可兼职），"
        "年考试量500人以上的至少配备各4名。"
        "专业考评人员应为3年以上相关实际经验和有2年以上教学经历，且具有工程师或技师以上职称。"
        "专业考评人员应经相应发证部门备案。"
    ),
    "三(二)[三]1(1)": "（1）至少配备10台考试终端，年考试量在500人的应适当增加；",
    "三(二)[三]1(2)": (
        "（2）应具有随机组卷、自动限时计时、自动判卷评分、自动记录存档、统计、查询、汇总报表、"
        "数据传输、建档存档等数据库管理功能的考试系统；"
    ),
    "三(二)[三]1(3)": "（3）有符合考核大纲和有关规定的题库。",
    "三(二)[三]2(1)": (
        "（1）司机 应至少配备一台具有驾驶室的考试用桥式起重机。可根据当地起重机种类的构成特点，"
        "增加变幅、回转机构等功能的臂架式起重机或具有绕障搬运、定点落物等功能的起重机模拟系统。"
        "考场应当具备满足考试需要的用具（包括带警示标志的碰杆、考场警示线等）和安全防护设施。"
    ),
    "三(二)[三]2(2)": (
        "（2）指挥 应配备符合相关标准要求的指挥用品（如标准指挥旗、指挥哨、"
        "《起重吊运指挥信号图解》挂图等）及劳动保护用品。"
    ),
    "三(三)1": "1. 有自主或长期租赁的考试场地。",
    "三(三)2": (
        "2. 场地、建筑物面积应满足理论知识和实际操作考试（定点落物、绕障运行等考试科目）的要求。"
        "其实际操作考场面积约不小于150平方米。"
    ),
}


def clause_texts(clause_labels: str) -> list[tuple[str, str]]:
    """``"三(二)2, 三(二)[三]1(1)"`` -> [(label, text), ...] for the labels we hold text for."""
    labels = [label.strip() for label in clause_labels.split(",") if label.strip()]
    return [(label, CLAUSE_TEXT[label]) for label in labels if label in CLAUSE_TEXT]
